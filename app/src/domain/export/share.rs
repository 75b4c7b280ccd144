//! Expiring download links for exports made from Discord, when the files
//! are kept on this server (with S3 the link is a presigned URL instead).
//!
//! A link names the job and when it expires, and carries an HMAC-SHA256 of
//! both under a key derived from `SECRET_KEY`. It opens the file without a
//! session: whoever has the link has the file until it expires, as with a
//! presigned URL, so it lives 15 minutes and is only ever shown to the
//! member who asked for the export (an ephemeral Discord reply).

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// How long a shared link works: as long as Discord lets the reply that
/// shows it be edited.
pub const LIFETIME: Duration = Duration::minutes(15);

#[derive(Clone)]
pub struct ShareLinks {
    key: [u8; 32],
    /// This server's address, without a trailing slash.
    base_url: String,
}

impl std::fmt::Debug for ShareLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ShareLinks({})", self.base_url)
    }
}

/// Why a shared link opens nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefused {
    /// The signature does not match: a made-up or altered link.
    Forged,
    /// It was genuine, and it has expired.
    Expired,
}

type HmacSha256 = Hmac<Sha256>;

impl ShareLinks {
    /// Links signed under `secret_key` (`SECRET_KEY`). The key is hashed
    /// with this purpose's name, so a link's signature is not also valid
    /// as anything else made from the same secret.
    pub fn new(secret_key: &str, base_url: &str) -> Result<Self, String> {
        if secret_key.trim().chars().count() < crate::domain::secret_box::MIN_KEY_CHARS {
            return Err("SECRET_KEY is too short to sign download links".into());
        }
        let mut hash = Sha256::new();
        hash.update(b"guildtrack share links v1\0");
        hash.update(secret_key.trim().as_bytes());
        Ok(Self {
            key: hash.finalize().into(),
            base_url: base_url.trim_end_matches('/').to_string(),
        })
    }

    fn mac(&self, job_id: i64, expires: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(format!("export:{job_id}:{expires}").as_bytes());
        mac
    }

    /// The link to export `job_id`'s file, valid for [`LIFETIME`] from `now`.
    pub fn link(&self, job_id: i64, now: DateTime<Utc>) -> String {
        let expires = (now + LIFETIME).timestamp();
        format!(
            "{}/exports/shared/{job_id}?expires={expires}&sig={}",
            self.base_url,
            hex::encode(self.mac(job_id, expires).finalize().into_bytes())
        )
    }

    /// Whether a link's parts are genuine and still valid at `now`.
    pub fn check(
        &self,
        job_id: i64,
        expires: i64,
        sig_hex: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LinkRefused> {
        let sig = hex::decode(sig_hex).map_err(|_| LinkRefused::Forged)?;
        // verify_slice compares in constant time.
        self.mac(job_id, expires)
            .verify_slice(&sig)
            .map_err(|_| LinkRefused::Forged)?;
        if now.timestamp() > expires {
            return Err(LinkRefused::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "a-test-secret-key-of-more-than-32-characters";

    fn parts(link: &str) -> (i64, i64, String) {
        let (path, query) = link.split_once('?').unwrap();
        let job = path.rsplit('/').next().unwrap().parse().unwrap();
        let mut expires = 0;
        let mut sig = String::new();
        for pair in query.split('&') {
            match pair.split_once('=').unwrap() {
                ("expires", v) => expires = v.parse().unwrap(),
                ("sig", v) => sig = v.into(),
                _ => {}
            }
        }
        (job, expires, sig)
    }

    #[test]
    fn a_link_opens_its_own_job_until_it_expires() {
        let links = ShareLinks::new(KEY, "http://localhost:3000/").unwrap();
        let now = Utc::now();
        let link = links.link(42, now);
        assert!(link.starts_with("http://localhost:3000/exports/shared/42?expires="));
        let (job, expires, sig) = parts(&link);
        assert_eq!(links.check(job, expires, &sig, now), Ok(()));
        assert_eq!(
            links.check(job, expires, &sig, now + LIFETIME + Duration::seconds(1)),
            Err(LinkRefused::Expired)
        );
    }

    #[test]
    fn another_job_a_later_expiry_or_another_key_is_forged() {
        let links = ShareLinks::new(KEY, "http://x").unwrap();
        let now = Utc::now();
        let (job, expires, sig) = parts(&links.link(42, now));
        assert_eq!(
            links.check(43, expires, &sig, now),
            Err(LinkRefused::Forged)
        );
        assert_eq!(
            links.check(job, expires + 3600, &sig, now),
            Err(LinkRefused::Forged)
        );
        let other = ShareLinks::new(&format!("{KEY}-other"), "http://x").unwrap();
        assert_eq!(
            other.check(job, expires, &sig, now),
            Err(LinkRefused::Forged)
        );
        assert_eq!(
            links.check(job, expires, "nothex", now),
            Err(LinkRefused::Forged)
        );
    }
}
