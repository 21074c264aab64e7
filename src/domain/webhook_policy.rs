//! The rules of delivery, without I/O: where a webhook may be sent (SSRF policy), how a
//! delivery is signed (Stripe's `v1` scheme), and when a failed one is tried again.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Where deliveries may go. Loopback is allowed by default (a sandbox's users receive on
/// localhost) and can be turned off for a shared deployment. Other non-public ranges (RFC 1918,
/// link-local, CGNAT, ULA…) only when the operator allows them, so an endpoint URL cannot be
/// used to probe the server's network. An IPv6 address that carries an IPv4 one (mapped,
/// compatible, translated, NAT64, 6to4, Teredo) is judged by the IPv4 address it carries too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DestinationPolicy {
    pub allow_private: bool,
    pub allow_loopback: bool,
}

impl Default for DestinationPolicy {
    fn default() -> Self {
        Self {
            allow_private: false,
            allow_loopback: true,
        }
    }
}

impl DestinationPolicy {
    /// The URL's shape, and its host when that is an IP literal or a loopback name. Other
    /// names are checked at send time, on every address they resolve to (a name can be
    /// re-pointed after creation).
    pub fn check_url(&self, url: &str) -> Result<(), String> {
        let parsed = url::Url::parse(url).map_err(|_| format!("Invalid URL: {url}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("Invalid URL: the scheme must be http or https.".into());
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err("Invalid URL: credentials in the URL are not allowed.".into());
        }
        match parsed.host() {
            None => Err(format!("Invalid URL: {url} has no host.")),
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) if !self.allow_loopback && is_loopback_name(name) => Err(format!(
                "Invalid URL: {name} is a loopback name, and this server does not deliver to loopback."
            )),
            Some(url::Host::Domain(_)) => Ok(()),
        }
    }

    pub fn check_ip(&self, ip: IpAddr) -> Result<(), String> {
        if self.allows(ip) {
            return Ok(());
        }
        let allowed = if self.allow_loopback {
            "only public addresses and loopback are allowed"
        } else {
            "only public addresses are allowed"
        };
        Err(format!(
            "Invalid URL: {ip} is a private, loopback or reserved address; {allowed} (the operator can allow \
             private ranges with SANDBANK_WEBHOOK_ALLOW_PRIVATE and loopback with SANDBANK_WEBHOOK_ALLOW_LOOPBACK)."
        ))
    }

    /// Whether `ip`, and every IPv4 address it embeds, may be a destination.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allows_one(ip)
            && embedded_v4(ip)
                .into_iter()
                .flatten()
                .all(|v4| self.allows_one(IpAddr::V4(v4)))
    }

    fn allows_one(&self, ip: IpAddr) -> bool {
        if ip.is_loopback() {
            return self.allow_loopback;
        }
        if never_routable(ip) {
            return false;
        }
        self.allow_private || !is_private(ip)
    }
}

/// `localhost` and names under it resolve to loopback (RFC 6761).
fn is_loopback_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// The IPv4 addresses an IPv6 address carries, by the standard embeddings: IPv4-mapped
/// `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d` (deprecated, still routed by some stacks),
/// IPv4-translated `::ffff:0:a.b.c.d`, NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`, 6to4
/// `2002:AABB:CCDD::/48`, and Teredo `2001:0::/32` (server in bits 32–63, client inverted in
/// the last 32). At most two (Teredo's server and client).
fn embedded_v4(ip: IpAddr) -> [Option<Ipv4Addr>; 2] {
    let IpAddr::V6(v6) = ip else { return [None, None] };
    let s = v6.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    let low = v4(s[6], s[7]);
    match s {
        [0, 0, 0, 0, 0, 0xffff, ..] => [Some(low), None],
        // `::` and `::1` are the IPv6 unspecified and loopback addresses, judged as such.
        [0, 0, 0, 0, 0, 0, ..] if u32::from(low) > 1 => [Some(low), None],
        [0, 0, 0, 0, 0xffff, 0, ..] => [Some(low), None],
        [0x64, 0xff9b, 0, 0, 0, 0, ..] => [Some(low), None],
        [0x64, 0xff9b, 1, ..] => [Some(low), None],
        [0x2002, hi, lo, ..] => [Some(v4(hi, lo)), None],
        [0x2001, 0, hi, lo, ..] => [Some(v4(hi, lo)), Some(v4(!s[6], !s[7]))],
        _ => [None, None],
    }
}

/// Addresses no setting makes a destination: unspecified, multicast, broadcast.
fn never_routable(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast() || v4.octets()[0] == 0,
        IpAddr::V6(v6) => v6.is_unspecified() || v6.is_multicast(),
    }
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => private_v6(v6),
    }
}

fn private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_link_local()
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

/// Non-public IPv6 ranges of their own; the embedding ranges are judged by what they carry.
fn private_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    (first & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
}

/// `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.payload")>`, as the SDKs'
/// `construct_event` verifies it: the secret's UTF-8 bytes are the key, used as they are.
pub fn signature_header(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex::encode(sign(secret, timestamp, payload)))
}

fn sign(secret: &str, timestamp: i64, payload: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac.finalize().into_bytes().to_vec()
}

/// Checks a `Stripe-Signature` header the way the SDKs do: any `v1` matching, in constant
/// time, and a timestamp no older than `tolerance` seconds.
pub fn verify_signature(secret: &str, header: &str, payload: &[u8], now: i64, tolerance: i64) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", s)) => signatures.extend(hex::decode(s).ok()),
            _ => {}
        }
    }
    let Some(t) = timestamp else { return false };
    if t < now - tolerance {
        return false;
    }
    signatures.iter().any(|s| {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload);
        mac.verify_slice(s).is_ok()
    })
}

/// When a failed delivery is tried again: `schedule[k]` seconds before attempt `k + 2`, with
/// ±20 % jitter so a burst of failures does not retry in lockstep; `Retry-After` (429/503)
/// can stretch a delay up to `retry_after_cap`. After the schedule, the delivery has failed.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    pub schedule: Vec<u64>,
    pub retry_after_cap: u64,
}

impl RetryPolicy {
    /// `"60,300,1800"`; an empty string means no retries.
    pub fn parse(schedule: &str, retry_after_cap: u64) -> Result<Self, String> {
        let schedule = schedule
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<u64>().map_err(|_| format!("not a number of seconds: {s:?}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            schedule,
            retry_after_cap,
        })
    }

    /// Total tries a delivery gets.
    pub fn max_attempts(&self) -> usize {
        self.schedule.len() + 1
    }

    /// Seconds to wait after failed attempt number `attempt` (1-based), or `None` when it was
    /// the last. `jitter` is a factor in `[0.8, 1.2]` the caller draws.
    pub fn delay_after(&self, attempt: usize, retry_after: Option<u64>, jitter: f64) -> Option<u64> {
        let base = *self.schedule.get(attempt.checked_sub(1)?)?;
        let jittered = (base as f64 * jitter.clamp(0.8, 1.2)).round() as u64;
        Some(match retry_after {
            Some(asked) => jittered.max(asked.min(self.retry_after_cap)),
            None => jittered,
        })
    }
}

/// Everything about delivery an operator sets (see `config.rs` for the variables).
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub destination: DestinationPolicy,
    pub retry: RetryPolicy,
    /// Per attempt, connect to last byte read.
    pub timeout: Duration,
    /// Failed deliveries in a row that disable an endpoint; 0 never.
    pub disable_after: i64,
    /// Sends in flight per process.
    pub concurrency: usize,
    /// Sends in flight per endpoint, across processes: a slow endpoint waits behind itself.
    pub per_endpoint: usize,
    /// Idle wait between looks for due deliveries.
    pub poll: Duration,
    /// Whether this process sends at all.
    pub run_dispatcher: bool,
}

impl DeliveryConfig {
    /// How long a claim holds a delivery: a send's whole time plus a margin, so a live worker
    /// never loses a row it is still sending, and a dead one's rows come back soon after.
    pub fn lease_secs(&self) -> i64 {
        self.timeout.as_secs() as i64 + 1 + LEASE_MARGIN_SECS
    }
}

const LEASE_MARGIN_SECS: i64 = 5;

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            destination: DestinationPolicy::default(),
            retry: RetryPolicy::parse("60,300,1800,7200", 3600).expect("literal schedule"),
            timeout: Duration::from_secs(10),
            disable_after: 20,
            concurrency: 32,
            per_endpoint: 4,
            poll: Duration::from_millis(500),
            run_dispatcher: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_always_private_only_when_allowed() {
        let strict = DestinationPolicy::default();
        let open = DestinationPolicy {
            allow_private: true,
            ..DestinationPolicy::default()
        };
        for ok in ["127.0.0.1", "::1", "93.184.216.34", "::ffff:127.0.0.1"] {
            assert!(strict.allows(ok.parse().unwrap()), "{ok}");
        }
        for private in [
            "10.0.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "172.16.0.1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!strict.allows(private.parse().unwrap()), "{private}");
            assert!(open.allows(private.parse().unwrap()), "{private}");
        }
        assert!(!open.allows("0.0.0.0".parse().unwrap()));
        assert!(strict.check_url("ftp://example.com/").is_err());
        assert!(strict.check_url("http://10.1.2.3/h").is_err());
        assert!(strict.check_url("http://localhost:3000/h").is_ok());
    }

    #[test]
    fn ipv6_forms_embedding_a_private_ipv4_are_refused() {
        let strict = DestinationPolicy::default();
        let open = DestinationPolicy {
            allow_private: true,
            ..DestinationPolicy::default()
        };
        // 10.0.0.1 = 0a00:0001; Teredo's client is stored inverted: f5ff:fffe.
        for embedded in [
            "::10.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:0:10.0.0.1",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::a00:1",
            "2002:a00:1::1",
            "2001:0:a00:1::1",
            "2001:0:5db8:d822:0:0:f5ff:fffe",
            "::169.254.169.254",
            "::ffff:0:169.254.169.254",
        ] {
            let ip: IpAddr = embedded.parse().unwrap();
            assert!(!strict.allows(ip), "{embedded}");
            assert!(open.allows(ip), "{embedded} with private ranges allowed");
            assert!(
                strict.check_url(&format!("http://[{embedded}]/hook")).is_err(),
                "{embedded}"
            );
        }
        // The same embeddings of a public address are public.
        for public in ["64:ff9b::93.184.216.34", "2002:5db8:d822::1", "::ffff:93.184.216.34"] {
            assert!(strict.allows(public.parse().unwrap()), "{public}");
        }
        assert!(!strict.allows("::ffff:0.0.0.0".parse().unwrap()));
        assert!(!open.allows("::".parse().unwrap()));
    }

    #[test]
    fn loopback_can_be_turned_off_in_every_form() {
        let shared = DestinationPolicy {
            allow_loopback: false,
            ..DestinationPolicy::default()
        };
        let shared_private = DestinationPolicy {
            allow_private: true,
            allow_loopback: false,
        };
        for loopback in [
            "127.0.0.1",
            "127.9.9.9",
            "::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
        ] {
            let ip: IpAddr = loopback.parse().unwrap();
            assert!(DestinationPolicy::default().allows(ip), "{loopback} allowed by default");
            assert!(!shared.allows(ip), "{loopback}");
            assert!(
                !shared_private.allows(ip),
                "{loopback}: private ranges are not loopback"
            );
        }
        for url in [
            "http://localhost:3000/h",
            "http://LOCALHOST./h",
            "http://app.localhost/h",
            "http://[::1]/h",
        ] {
            assert!(DestinationPolicy::default().check_url(url).is_ok(), "{url}");
            assert!(shared.check_url(url).is_err(), "{url}");
        }
        assert!(shared.check_url("http://example.com/h").is_ok());
    }

    #[test]
    fn signatures_verify_and_a_changed_byte_fails() {
        let header = signature_header("whsec_test", 1_700_000_000, b"{\"id\":1}");
        assert!(header.starts_with("t=1700000000,v1="));
        assert!(verify_signature(
            "whsec_test",
            &header,
            b"{\"id\":1}",
            1_700_000_010,
            300
        ));
        assert!(!verify_signature(
            "whsec_test",
            &header,
            b"{\"id\":2}",
            1_700_000_010,
            300
        ));
        assert!(!verify_signature(
            "whsec_other",
            &header,
            b"{\"id\":1}",
            1_700_000_010,
            300
        ));
        assert!(!verify_signature(
            "whsec_test",
            &header,
            b"{\"id\":1}",
            1_700_001_000,
            300
        ));
    }

    #[test]
    fn retry_schedule_jitter_and_retry_after() {
        let p = RetryPolicy::parse("60, 300", 600).unwrap();
        assert_eq!(p.max_attempts(), 3);
        assert_eq!(p.delay_after(1, None, 1.0), Some(60));
        assert_eq!(p.delay_after(1, None, 0.8), Some(48));
        assert_eq!(p.delay_after(2, Some(10_000), 1.0), Some(600));
        assert_eq!(p.delay_after(1, Some(120), 1.0), Some(120));
        assert_eq!(p.delay_after(3, None, 1.0), None);
        assert!(RetryPolicy::parse("1,x", 1).is_err());
        assert_eq!(RetryPolicy::parse("", 1).unwrap().max_attempts(), 1);
    }
}
