//! End-to-end tests: real archives in temporary directories, the real binary.

mod harness;

mod browser;
mod build;
mod check;
mod corpus;
mod diagnostics;
mod golden;
mod import;
mod insights;
mod new;
mod pages;
mod safety;
mod search;
mod serve;
mod timeline;
