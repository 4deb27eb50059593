//! The built-in operations vocabulary: groups of words and phrases that operators use for the
//! same thing, so that "disk full" finds "no space left on device". An archive adds its own
//! groups (or drops these) with `blameless.toml [search] synonyms`; the build writes the groups
//! into the index's vocabulary, so the CLI and the browser expand a query alike.
//!
//! Each group is lowercase; a member may be a phrase. A query that contains a member also
//! searches for every other member of its group, scored below the words typed.

/// The built-in groups.
pub const DEFAULT_SYNONYMS: &[&[&str]] = &[
    // Storage and resources
    &[
        "disk full",
        "no space left on device",
        "out of disk",
        "disk space",
        "enospc",
    ],
    &[
        "oom",
        "out of memory",
        "oomkilled",
        "oom killed",
        "memory exhausted",
    ],
    &["cpu", "processor"],
    &["inode", "inodes"],
    &[
        "quota",
        "limit exceeded",
        "rate limit",
        "throttling",
        "throttled",
    ],
    &["latency", "slow", "slowness", "response time"],
    &["timeout", "timed out", "time out", "timeouts"],
    &["outage", "downtime", "unavailable", "unavailability"],
    &[
        "crash",
        "crashed",
        "crashloop",
        "crashloopbackoff",
        "crash loop",
    ],
    &["restart", "restarted", "reboot", "rebooted"],
    &["leak", "memory leak"],
    &["saturation", "saturated", "exhausted", "exhaustion"],
    // Kubernetes and containers
    &["k8s", "kubernetes", "kube"],
    &["pod", "pods"],
    &["node", "nodes", "worker node"],
    &["eks", "elastic kubernetes service"],
    &["aks", "azure kubernetes service"],
    &["gke", "google kubernetes engine"],
    &["ingress", "ingress controller"],
    &["helm", "helm chart"],
    &["container", "docker"],
    &[
        "hpa",
        "horizontal pod autoscaler",
        "autoscaler",
        "autoscaling",
    ],
    &["daemonset", "daemon set"],
    &["configmap", "config map"],
    &["namespace", "ns"],
    &["kubelet", "node agent"],
    &["etcd", "cluster state store"],
    // Networking
    &[
        "lb",
        "load balancer",
        "alb",
        "elb",
        "nlb",
        "application load balancer",
    ],
    &["dns", "domain name system", "name resolution", "resolver"],
    &["nxdomain", "domain not found"],
    &[
        "cdn",
        "content delivery network",
        "cloudfront",
        "akamai",
        "fastly",
    ],
    &["vpn", "virtual private network"],
    &["vpc", "virtual private cloud"],
    &["firewall", "security group", "waf"],
    &["tls", "ssl", "https"],
    &["cert", "certs", "certificate", "certificates", "x509"],
    &["ip", "ip address"],
    &["nat", "nat gateway"],
    &["packet loss", "dropped packets"],
    &["bgp", "routing"],
    &["proxy", "reverse proxy"],
    &["502", "bad gateway"],
    &["503", "service unavailable"],
    &["504", "gateway timeout"],
    &["500", "internal server error"],
    &["404", "not found"],
    &["429", "too many requests"],
    &["wifi", "wi-fi", "wireless", "wlan"],
    // Data
    &["db", "database", "databases"],
    &["postgres", "postgresql", "pg"],
    &["mysql", "mariadb"],
    &["mongo", "mongodb"],
    &["redis", "cache"],
    &["elasticsearch", "elastic", "opensearch"],
    &["kafka", "message broker", "broker"],
    &["queue", "message queue", "sqs", "rabbitmq"],
    &["replica", "replication", "read replica", "standby"],
    &["replication lag", "replica lag"],
    &["failover", "switchover"],
    &["backup", "snapshot"],
    &["restore", "recovery"],
    &["migration", "schema change", "migrate"],
    &["s3", "object storage", "bucket"],
    &["deadlock", "lock contention"],
    &["corruption", "corrupted", "data loss"],
    // Deploys and change
    &["deploy", "deployment", "release", "rollout", "roll out"],
    &["rollback", "roll back", "revert", "reverted"],
    &["config", "configuration", "settings"],
    &["feature flag", "feature toggle", "flag"],
    &["ci", "continuous integration", "pipeline", "build pipeline"],
    &["cd", "continuous delivery", "continuous deployment"],
    &["iac", "infrastructure as code", "terraform"],
    &["upgrade", "update", "version bump"],
    &["canary", "canary release", "staged rollout"],
    &["hotfix", "patch", "quick fix"],
    &["cron", "cronjob", "scheduled job"],
    // Security and identity
    &["auth", "authentication", "login", "log in", "sign in"],
    &[
        "authorization",
        "permissions",
        "access denied",
        "forbidden",
        "403",
    ],
    &["401", "unauthorized"],
    &["sso", "single sign-on", "saml", "oidc"],
    &["mfa", "2fa", "two-factor"],
    &[
        "secret",
        "secrets",
        "credential",
        "credentials",
        "api key",
        "token",
    ],
    &["expired", "expiry", "expiration"],
    &["iam", "identity and access management", "role"],
    &["ddos", "denial of service", "attack"],
    &["exposure", "exposed", "leaked"],
    // Observability
    &["monitoring", "observability"],
    &["alert", "alerting", "page", "paging", "pager"],
    &["prometheus", "metrics"],
    &["grafana", "dashboard"],
    &["logs", "logging", "log"],
    &["on-call", "oncall", "on call"],
    &[
        "healthcheck",
        "health check",
        "liveness probe",
        "readiness probe",
        "probe",
    ],
    // Clients and platforms
    &["ie11", "internet explorer", "ie 11"],
    &["ios", "iphone"],
    &["android", "google play"],
    &["app", "mobile app"],
    &["browser", "web browser"],
    &["api", "endpoint", "rest api"],
    &["email", "e-mail", "mail", "smtp"],
    &["sms", "text message"],
    &["push notification", "push", "apns", "fcm"],
    &["payment", "payments", "psp", "payment provider"],
    &["checkout", "check out", "basket", "cart"],
    // Clouds
    &["aws", "amazon web services"],
    &["azure", "microsoft azure"],
    &["gcp", "google cloud"],
    &["ec2", "instance", "vm", "virtual machine"],
    &["az", "availability zone", "zone"],
    &["region", "data center", "datacenter"],
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_lowercase_trimmed_and_have_two_members_or_more() {
        assert!(DEFAULT_SYNONYMS.len() >= 100, "{}", DEFAULT_SYNONYMS.len());
        for group in DEFAULT_SYNONYMS {
            assert!(group.len() >= 2, "{group:?}");
            for member in *group {
                assert_eq!(member.to_lowercase(), *member);
                assert_eq!(member.trim(), *member);
                assert!(!member.contains("  "));
            }
        }
    }
}
