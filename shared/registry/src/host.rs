//! Registry host names (`host[:port]`) and the plain-HTTP rule for them.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

/// The host (and optional port) of a registry, as written in an image
/// reference: `ghcr.io`, `127.0.0.1:5000`, `[::1]:5000`, `docker.io`.
///
/// Host names are lower-cased, since DNS names are case-insensitive and the
/// credential lookup and token cache key on this value.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistryHost(String);

/// Why a string is not a [`RegistryHost`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid registry host {input:?}: {reason}")]
pub struct HostParseError {
    input: String,
    reason: &'static str,
}

/// Docker Hub's name in references; its API lives on another host.
pub(crate) const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_API: &str = "registry-1.docker.io";

impl RegistryHost {
    /// The host as written, e.g. `127.0.0.1:5000`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host the Distribution API is reached on. Only Docker Hub
    /// differs: references say `docker.io`, the API is
    /// `registry-1.docker.io`.
    pub fn api_host(&self) -> &str {
        match self.0.as_str() {
            DOCKER_HUB | "index.docker.io" => DOCKER_HUB_API,
            other => other,
        }
    }

    /// Whether the host is on loopback (`localhost`, 127.0.0.0/8, `::1`).
    /// Docker talks plain HTTP to these without being told to, and so do we.
    pub fn is_loopback(&self) -> bool {
        let host = self.host_part();
        if host == "localhost" {
            return true;
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            Ok(ip) => ip.is_loopback(),
            Err(_) => false,
        }
    }

    /// The host without its port.
    fn host_part(&self) -> &str {
        split_port(&self.0).0
    }
}

/// Splits `host:port` (or `[v6]:port`) into its parts.
fn split_port(input: &str) -> (&str, Option<&str>) {
    if input.starts_with('[') {
        return match input.find(']') {
            Some(end) => {
                let rest = &input[end + 1..];
                (&input[..=end], rest.strip_prefix(':'))
            }
            None => (input, None),
        };
    }
    match input.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (input, None),
    }
}

impl FromStr for RegistryHost {
    type Err = HostParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason| HostParseError {
            input: input.to_owned(),
            reason,
        };
        let (host, port) = split_port(input);
        if let Some(port) = port
            && port.parse::<u16>().is_err()
        {
            return Err(fail("port is not a number from 0 to 65535"));
        }
        if let Some(v6) = host.strip_prefix('[') {
            let inner = v6.strip_suffix(']').ok_or_else(|| fail("unclosed '['"))?;
            inner
                .parse::<Ipv6Addr>()
                .map_err(|_| fail("not an IPv6 address"))?;
        } else if host.is_empty() || host.len() > 253 {
            return Err(fail("host name is empty or too long"));
        } else if !host.split('.').all(is_dns_label) {
            return Err(fail(
                "host name is not dot-separated letters, digits and '-'",
            ));
        }
        Ok(Self(input.to_ascii_lowercase()))
    }
}

fn is_dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl fmt::Display for RegistryHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RegistryHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegistryHost({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(s: &str) -> RegistryHost {
        s.parse().unwrap()
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for h in [
            "localhost",
            "localhost:5000",
            "127.0.0.1:5000",
            "127.3.2.1",
            "[::1]:5000",
        ] {
            assert!(host(h).is_loopback(), "{h}");
        }
        for h in [
            "ghcr.io",
            "10.0.0.1:5000",
            "localhost.example.com",
            "[::2]:80",
        ] {
            assert!(!host(h).is_loopback(), "{h}");
        }
    }

    #[test]
    fn docker_hub_uses_its_api_host() {
        assert_eq!(host("docker.io").api_host(), "registry-1.docker.io");
        assert_eq!(host("GHCR.io").api_host(), "ghcr.io");
    }

    #[test]
    fn rejects_bad_hosts() {
        for bad in [
            "",
            "a:b",
            "ex ample.com",
            "-a.com",
            "[::1",
            "[zz]:5000",
            "a:70000",
        ] {
            assert!(bad.parse::<RegistryHost>().is_err(), "{bad:?} parsed");
        }
    }
}
