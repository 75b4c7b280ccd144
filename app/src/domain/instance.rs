//! This server process among all that share one database.
//!
//! Export jobs and bulk actions record the process that holds them (the
//! `worker` column). When a server dies, what it held stops moving, and the
//! upkeep of any server takes it back after a while of silence (30 s for an
//! export, 60 s for a bulk action). But a server that is restarted after a
//! crash knows better at once: whatever an earlier start of *itself* still
//! holds is abandoned, because that process is gone. So names have two
//! parts: `name`, the same for every start of one server (`{host}:{port}`;
//! two live servers cannot share both), and `boot`, new for each start.

use chrono::{DateTime, Utc};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    /// The same for every start of this server: `{host}:{port}`.
    name: String,
    /// New for every start of the process.
    boot: String,
}

impl Instance {
    /// This server, named after where it listens; a fresh boot.
    pub fn new(name: impl Into<String>, started: DateTime<Utc>) -> Self {
        Self {
            name: name.into(),
            boot: format!(
                "{:x}-{:x}",
                std::process::id(),
                started.timestamp_nanos_opt().unwrap_or_default()
            ),
        }
    }

    /// `{host}:{port}`: the host name from the kernel (or `HOSTNAME`), and
    /// the port the server listens on.
    pub fn for_server(port: u16, started: DateTime<Utc>) -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        Self::new(format!("{host}:{port}"), started)
    }

    /// What this process writes in the `worker` column: `{name}#{boot}`.
    pub fn id(&self) -> String {
        format!("{}#{}", self.name, self.boot)
    }

    /// What every start of this server writes first: `{name}#`. A row that
    /// begins so, but not with [`Instance::id`], was left by an earlier
    /// start of this same server, which is gone.
    pub fn prefix(&self) -> String {
        format!("{}#", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn two_starts_of_one_server_share_the_prefix_but_not_the_id() {
        let first = Instance::new("box:3000", Utc.timestamp_opt(1, 0).unwrap());
        let second = Instance::new("box:3000", Utc.timestamp_opt(2, 0).unwrap());
        assert_eq!(first.prefix(), second.prefix());
        assert_ne!(first.id(), second.id());
        assert!(first.id().starts_with(&second.prefix()));
        let other = Instance::new("box:3001", Utc.timestamp_opt(1, 0).unwrap());
        assert!(!other.id().starts_with(&first.prefix()));
    }
}
