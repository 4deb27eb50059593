//! blameless: a validated post-mortem archive rendered as a static site.
