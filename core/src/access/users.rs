//! Logins: each user has a role and a SCRAM-SHA-256 verifier. The password
//! itself is never stored, nor anything that would let a reader of the
//! file log in: only the salt, the iteration count and the two keys a
//! server needs to check a client's proof (RFC 5802, RFC 7677).

use std::fmt;
use std::num::NonZeroU32;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::{digest, hmac, pbkdf2};
use serde::{Deserialize, Serialize};

use super::audit::{AuditEntry, AuditLog};
use super::files::{FolderLock, read_json, write_json};
use super::{AccessError, Role, SystemFolder, now};

/// Iterations of PBKDF2 for new verifiers, PostgreSQL's default.
pub const SCRAM_ITERATIONS: u32 = 4096;

const SALT_BYTES: usize = 16;

/// What a server stores to check SCRAM-SHA-256 logins: written as
/// PostgreSQL writes it, `SCRAM-SHA-256$ITER:SALT$STOREDKEY:SERVERKEY`.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    iterations: u32,
    salt: Vec<u8>,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
}

impl Verifier {
    /// A verifier for `password` with a fresh random salt.
    pub fn new(password: &str) -> Self {
        let salt: [u8; SALT_BYTES] = rand::random();
        Self::with_salt(password, &salt, SCRAM_ITERATIONS)
    }

    /// The verifier for `password` with a given salt and iteration count.
    pub fn with_salt(password: &str, salt: &[u8], iterations: u32) -> Self {
        let salted = salted_password(password, salt, iterations);
        Self {
            iterations,
            salt: salt.to_vec(),
            stored_key: sha256(&hmac_sha256(&salted, b"Client Key")),
            server_key: hmac_sha256(&salted, b"Server Key"),
        }
    }

    /// PBKDF2 iterations a client must run.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// The salt a client must use.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// SHA-256 of the client key: what a client's proof is checked against.
    pub fn stored_key(&self) -> &[u8] {
        &self.stored_key
    }

    /// The key that signs the server's final message.
    pub fn server_key(&self) -> &[u8] {
        &self.server_key
    }

    /// Whether `password` is the one this verifier was made from, compared
    /// in constant time. Used by logins that send a password (Flight SQL's
    /// basic authentication).
    pub fn accepts_password(&self, password: &str) -> bool {
        let candidate = Self::with_salt(password, &self.salt, self.iterations);
        let stored = hmac::Key::new(hmac::HMAC_SHA256, &self.stored_key);
        hmac::verify(
            &stored,
            b"lakecast password check",
            hmac::sign(
                &hmac::Key::new(hmac::HMAC_SHA256, &candidate.stored_key),
                b"lakecast password check",
            )
            .as_ref(),
        )
        .is_ok()
    }

    /// Whether a client's SCRAM proof over `auth_message` is valid.
    pub fn accepts_proof(&self, auth_message: &[u8], proof: &[u8]) -> bool {
        let signature = hmac_sha256(&self.stored_key, auth_message);
        if proof.len() != signature.len() {
            return false;
        }
        let client_key: Vec<u8> =
            proof.iter().zip(&signature).map(|(p, s)| p ^ s).collect();
        let derived = sha256(&client_key);
        let stored = hmac::Key::new(hmac::HMAC_SHA256, &derived);
        hmac::verify(
            &stored,
            b"lakecast proof check",
            hmac::sign(
                &hmac::Key::new(hmac::HMAC_SHA256, &self.stored_key),
                b"lakecast proof check",
            )
            .as_ref(),
        )
        .is_ok()
    }

    /// The server's signature over `auth_message`, sent in the final message.
    pub fn server_signature(&self, auth_message: &[u8]) -> Vec<u8> {
        hmac_sha256(&self.server_key, auth_message)
    }

    /// Reads the stored form.
    pub fn parse(text: &str) -> Result<Self, String> {
        let rest = text
            .strip_prefix("SCRAM-SHA-256$")
            .ok_or("a verifier starts with `SCRAM-SHA-256$`")?;
        let (params, keys) = rest.split_once('$').ok_or("missing `$` before the keys")?;
        let (iterations, salt) =
            params.split_once(':').ok_or("missing `:` in ITER:SALT")?;
        let (stored, server) = keys.split_once(':').ok_or("missing `:` between keys")?;
        let decode = |part: &str| BASE64.decode(part).map_err(|e| e.to_string());
        Ok(Self {
            iterations: iterations.parse().map_err(|_| "bad iteration count")?,
            salt: decode(salt)?,
            stored_key: decode(stored)?,
            server_key: decode(server)?,
        })
    }
}

impl fmt::Display for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SCRAM-SHA-256${}:{}${}:{}",
            self.iterations,
            BASE64.encode(&self.salt),
            BASE64.encode(&self.stored_key),
            BASE64.encode(&self.server_key)
        )
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Verifier(SCRAM-SHA-256, keys hidden)")
    }
}

impl Serialize for Verifier {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Verifier {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Verifier::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// `Hi(password, salt, i)` of RFC 5802. Passwords are used as UTF-8 bytes
/// without SASLprep normalisation, which changes only passwords with
/// unusual Unicode spaces or compatibility characters.
fn salted_password(password: &str, salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    let iterations = NonZeroU32::new(iterations.max(1)).unwrap_or(NonZeroU32::MIN);
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        salt,
        password.as_bytes(),
        &mut out,
    );
    out
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), message)
        .as_ref()
        .to_vec()
}

fn sha256(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, data).as_ref().to_vec()
}

/// One login.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// The login name.
    pub name: String,
    /// What the user may read.
    pub role: Role,
    /// The SCRAM verifier of the password.
    pub verifier: Verifier,
    /// When the user was added.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Every login of a lake, stored in `_lakecast/users.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UserBook {
    users: Vec<User>,
}

impl UserBook {
    /// Reads the users of `folder` (none when the file does not exist).
    pub fn load(folder: &SystemFolder) -> Result<Self, AccessError> {
        read_json(&folder.users_file())
    }

    /// The user called `name`.
    pub fn find(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Every user, in the order they were added.
    pub fn users(&self) -> &[User] {
        &self.users
    }

    /// Adds a user (or, with `replace`, sets an existing user's role and
    /// password) and records it in the audit log before returning.
    pub fn add(
        folder: &SystemFolder,
        audit: &AuditLog,
        actor: &str,
        name: &str,
        role: Role,
        password: &str,
        replace: bool,
    ) -> Result<User, AccessError> {
        check_name(name)?;
        if password.chars().count() < 8 {
            return Err(AccessError::Invalid(format!(
                "the password for `{name}` is too short: use at least 8 characters"
            )));
        }
        let _lock = FolderLock::take(folder.root())?;
        let mut book = Self::load(folder)?;
        let existing = book.users.iter().position(|u| u.name == name);
        if existing.is_some() && !replace {
            return Err(AccessError::Invalid(format!(
                "user `{name}` exists already (pass --replace to set a new password or role)"
            )));
        }
        let user = User {
            name: name.to_string(),
            role,
            verifier: Verifier::new(password),
            created_at: now(),
        };
        let before = existing.map(|i| format!("role {}", book.users[i].role));
        match existing {
            Some(i) => book.users[i] = user.clone(),
            None => book.users.push(user.clone()),
        }
        audit.record_blocking(
            AuditEntry::new(actor, "local", "user.add", name).with_detail(
                serde_json::json!({
                    "before": before,
                    "after": format!("role {role}"),
                }),
            ),
        )?;
        write_json(&folder.users_file(), &book)?;
        Ok(user)
    }
}

/// User names are what people type into BI tools: letters, digits, `_`,
/// `-`, `.` and `@`, starting with a letter.
fn check_name(name: &str) -> Result<(), AccessError> {
    let valid_char = |c: char| c.is_ascii_alphanumeric() || "_-.@".contains(c);
    let starts_well = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if starts_well && name.len() <= 63 && name.chars().all(valid_char) {
        Ok(())
    } else {
        Err(AccessError::Invalid(format!(
            "invalid user name `{name}`: use up to 63 letters, digits, `_`, `-`, `.` \
             or `@`, starting with a letter"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_round_trips_and_checks_passwords() {
        let verifier = Verifier::new("correct horse");
        let parsed = Verifier::parse(&verifier.to_string()).expect("parses");
        assert!(parsed == verifier);
        assert!(parsed.accepts_password("correct horse"));
        assert!(!parsed.accepts_password("correct horse "));
        assert!(!verifier.to_string().contains("correct"));
    }

    #[test]
    fn verifier_matches_rfc_7677_example() {
        // RFC 7677 section 3: user "user", password "pencil".
        let salt = BASE64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").expect("salt");
        let verifier = Verifier::with_salt("pencil", &salt, 4096);
        let client_first_bare = "n=user,r=rOprNGfwEbeRWgbNEkqO";
        let server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                            s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let client_final_bare =
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let auth = format!("{client_first_bare},{server_first},{client_final_bare}");
        let proof = BASE64
            .decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
            .expect("proof");
        assert!(verifier.accepts_proof(auth.as_bytes(), &proof));
        assert_eq!(
            BASE64.encode(verifier.server_signature(auth.as_bytes())),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
        let mut wrong = proof.clone();
        wrong[0] ^= 1;
        assert!(!verifier.accepts_proof(auth.as_bytes(), &wrong));
    }

    #[test]
    fn names_and_passwords_are_checked() {
        assert!(check_name("ana.lyst@acme").is_ok());
        for bad in ["", "1abc", "a b", "x;drop", &"a".repeat(64)] {
            let err = check_name(bad).expect_err(bad).to_string();
            assert!(err.contains("invalid user name"), "{err}");
        }
    }
}
