//! Value-level encryption of YAML, JSON and `.env` files (guide §8), in a documented format of
//! our own, modelled on SOPS (whose published test files cannot be fetched here, so
//! compatibility with SOPS is not claimed):
//!
//! - Every leaf value (string, number, boolean) becomes
//!   `ENC[v1,data:<base64>,nonce:<base64>,type:str|int|float|bool]`: XChaCha20-Poly1305 under
//!   a random 256-bit data key, with the value's path (`/db/password`, `/items/0`, `/KEY` for
//!   `.env`) as associated data, so a value moved to another key does not decrypt. Keys,
//!   structure, comments of `.env` files and nulls stay readable.
//! - The data key is encrypted with age to every recipient (`age1…` X25519 keys) and stored in
//!   the metadata: a top-level `portfolio_secrets` mapping (YAML, JSON) or a last line
//!   `# portfolio_secrets: {json}` (`.env`), with `version`, `recipients`, `data_key` (base64
//!   age file) and `mac`.
//! - `mac` is HMAC-SHA256, under a key derived from the data key, over every leaf's path, type
//!   and plaintext in document order: a changed, removed, added or reordered value makes the
//!   file refuse to decrypt.

use std::fmt;
use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use serde_yaml_ng::{Mapping, Value};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub use age::x25519::{Identity, Recipient};

/// The metadata key of YAML and JSON files, and the marker of `.env` files.
pub const META_KEY: &str = "portfolio_secrets";
const ENV_META: &str = "# portfolio_secrets: ";
const VERSION: u64 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
    Env,
}

impl Format {
    /// By file name: `.yaml`/`.yml`, `.json`, `.env` (also `name.env` and `.env.name`).
    pub fn of(path: &std::path::Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?;
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        match ext {
            "yaml" | "yml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            "env" => Some(Format::Env),
            _ if name == ".env" || name.starts_with(".env.") => Some(Format::Env),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("cannot parse the file: {0}")]
    Parse(String),
    #[error("the top level must be a mapping of keys to values")]
    NotAMapping,
    #[error("the file is already encrypted")]
    AlreadyEncrypted,
    #[error("the file is not encrypted (no `portfolio_secrets` metadata)")]
    NotEncrypted,
    #[error("no recipients: a rule must name at least one age recipient")]
    NoRecipients,
    #[error("`{0}` is not an age recipient (age1…)")]
    BadRecipient(String),
    #[error("none of your identities can decrypt this file (it is encrypted to: {})", .0.join(", "))]
    NoIdentity(Vec<String>),
    #[error("the metadata is damaged: {0}")]
    BadMetadata(String),
    #[error("the value at {0} was tampered with (authentication failed)")]
    Tampered(String),
    #[error("the value at {0} is not encrypted: it was added after encryption")]
    Unencrypted(String),
    #[error("the file's MAC does not match: a value was removed, added, changed or reordered")]
    BadMac,
}

type Result<T, E = SecretsError> = std::result::Result<T, E>;

/// A 256-bit data key (zeroed on drop).
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub fn generate() -> DataKey {
        let mut k = Zeroizing::new([0u8; 32]);
        getrandom_fill(&mut k[..]);
        DataKey(k)
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(…)")
    }
}

fn getrandom_fill(buf: &mut [u8]) {
    use chacha20poly1305::aead::OsRng;
    use chacha20poly1305::aead::rand_core::RngCore;
    OsRng.fill_bytes(buf);
}

/// The metadata of an encrypted file.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub recipients: Vec<String>,
    data_key: String,
    mac: String,
}

pub fn parse_recipients(list: &[String]) -> Result<Vec<Recipient>> {
    if list.is_empty() {
        return Err(SecretsError::NoRecipients);
    }
    list.iter()
        .map(|r| {
            r.trim()
                .parse::<Recipient>()
                .map_err(|_| SecretsError::BadRecipient(r.clone()))
        })
        .collect()
}

/// Identities from the text of an age identity file (`AGE-SECRET-KEY-1…` lines, `#` comments).
pub fn parse_identities(text: &str) -> Vec<Identity> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .filter_map(|l| l.parse().ok())
        .collect()
}

fn wrap_key(key: &DataKey, recipients: &[Recipient]) -> Result<String> {
    let dyns: Vec<&dyn age::Recipient> = recipients.iter().map(|r| r as _).collect();
    let enc = age::Encryptor::with_recipients(dyns.into_iter())
        .map_err(|_| SecretsError::NoRecipients)?;
    let mut out = Vec::new();
    let mut w = enc
        .wrap_output(&mut out)
        .map_err(|e| SecretsError::BadMetadata(e.to_string()))?;
    w.write_all(&key.0[..])
        .and_then(|()| w.finish().map(|_| ()))
        .map_err(|e| SecretsError::BadMetadata(e.to_string()))?;
    Ok(B64.encode(out))
}

fn unwrap_key(meta: &Meta, identities: &[Identity]) -> Result<DataKey> {
    let bytes = B64
        .decode(&meta.data_key)
        .map_err(|e| SecretsError::BadMetadata(format!("data_key: {e}")))?;
    let dec = age::Decryptor::new_buffered(&bytes[..])
        .map_err(|e| SecretsError::BadMetadata(format!("data_key: {e}")))?;
    let ids: Vec<&dyn age::Identity> = identities.iter().map(|i| i as _).collect();
    let mut r = dec
        .decrypt(ids.into_iter())
        .map_err(|_| SecretsError::NoIdentity(meta.recipients.clone()))?;
    let mut k = Zeroizing::new(Vec::new());
    r.read_to_end(&mut k)
        .map_err(|_| SecretsError::NoIdentity(meta.recipients.clone()))?;
    let arr: [u8; 32] = k
        .as_slice()
        .try_into()
        .map_err(|_| SecretsError::BadMetadata("data key of the wrong length".into()))?;
    Ok(DataKey(Zeroizing::new(arr)))
}

/// A leaf value: its type name and plaintext.
#[derive(Clone, PartialEq)]
struct Leaf {
    kind: &'static str,
    text: String,
}

fn seal(key: &DataKey, path: &str, leaf: &Leaf) -> String {
    let cipher = XChaCha20Poly1305::new_from_slice(&key.0[..]).expect("a 32-byte key");
    let mut nonce = [0u8; 24];
    getrandom_fill(&mut nonce);
    let data = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: leaf.text.as_bytes(),
                aad: path.as_bytes(),
            },
        )
        .expect("encryption does not fail");
    format!(
        "ENC[v1,data:{},nonce:{},type:{}]",
        B64.encode(data),
        B64.encode(nonce),
        leaf.kind
    )
}

fn is_sealed(s: &str) -> bool {
    s.starts_with("ENC[v1,") && s.ends_with(']')
}

fn open(key: &DataKey, path: &str, sealed: &str) -> Result<Leaf> {
    let tampered = || SecretsError::Tampered(path.to_string());
    let inner = sealed
        .strip_prefix("ENC[v1,")
        .and_then(|s| s.strip_suffix(']'))
        .ok_or_else(tampered)?;
    let mut data = None;
    let mut nonce = None;
    let mut kind = None;
    for part in inner.split(',') {
        match part.split_once(':') {
            Some(("data", v)) => data = B64.decode(v).ok(),
            Some(("nonce", v)) => nonce = B64.decode(v).ok(),
            Some(("type", v)) => {
                kind = ["str", "int", "float", "bool"]
                    .into_iter()
                    .find(|k| *k == v)
            }
            _ => return Err(tampered()),
        }
    }
    let (data, nonce, kind) = (
        data.ok_or_else(tampered)?,
        nonce.filter(|n| n.len() == 24).ok_or_else(tampered)?,
        kind.ok_or_else(tampered)?,
    );
    let cipher = XChaCha20Poly1305::new_from_slice(&key.0[..]).expect("a 32-byte key");
    let plain = cipher
        .decrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &data,
                aad: path.as_bytes(),
            },
        )
        .map_err(|_| tampered())?;
    Ok(Leaf {
        kind,
        text: String::from_utf8(plain).map_err(|_| tampered())?,
    })
}

fn mac(key: &DataKey, leaves: &[(String, Leaf)]) -> String {
    let mac_key = Sha256::new()
        .chain_update(b"portfolio-secrets mac v1")
        .chain_update(&key.0[..])
        .finalize();
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&mac_key).expect("any key length");
    for (path, leaf) in leaves {
        m.update(path.as_bytes());
        m.update(b"\0");
        m.update(leaf.kind.as_bytes());
        m.update(b"\0");
        m.update(leaf.text.as_bytes());
        m.update(b"\n");
    }
    m.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ----- documents -----

/// A parsed file: a YAML/JSON tree or `.env` lines.
enum Doc {
    Tree(Mapping),
    Env(Vec<EnvLine>),
}

enum EnvLine {
    Pair(String, String),
    Other(String),
}

fn parse(text: &str, format: Format) -> Result<(Doc, Option<Meta>)> {
    match format {
        Format::Yaml | Format::Json => {
            // JSON is read as YAML too: its mappings keep the file's key order.
            let v: Value = if text.trim().is_empty() {
                Value::Mapping(Mapping::new())
            } else {
                serde_yaml_ng::from_str(text).map_err(|e| SecretsError::Parse(e.to_string()))?
            };
            let Value::Mapping(mut m) = v else {
                return Err(SecretsError::NotAMapping);
            };
            let meta = match m.remove(META_KEY) {
                None => None,
                Some(Value::Mapping(mm)) => Some(meta_from(&mm)?),
                Some(_) => return Err(SecretsError::BadMetadata("not a mapping".into())),
            };
            Ok((Doc::Tree(m), meta))
        }
        Format::Env => {
            let mut lines = Vec::new();
            let mut meta = None;
            for line in text.lines() {
                if let Some(json) = line.strip_prefix(ENV_META) {
                    let v: serde_json::Value = serde_json::from_str(json)
                        .map_err(|e| SecretsError::BadMetadata(e.to_string()))?;
                    let yaml: Value = serde_yaml_ng::to_value(&v)
                        .map_err(|e| SecretsError::BadMetadata(e.to_string()))?;
                    let Value::Mapping(mm) = yaml else {
                        return Err(SecretsError::BadMetadata("not a mapping".into()));
                    };
                    meta = Some(meta_from(&mm)?);
                    continue;
                }
                let t = line.trim_start();
                match t.split_once('=') {
                    Some((k, v)) if !t.starts_with('#') && !k.trim().is_empty() => {
                        let k = k.trim().trim_start_matches("export ").trim();
                        lines.push(EnvLine::Pair(k.to_string(), v.to_string()))
                    }
                    _ => lines.push(EnvLine::Other(line.to_string())),
                }
            }
            Ok((Doc::Env(lines), meta))
        }
    }
}

fn meta_from(m: &Mapping) -> Result<Meta> {
    let get = |k: &str| m.get(k);
    let version = get("version").and_then(Value::as_u64).unwrap_or(0);
    if version != VERSION {
        return Err(SecretsError::BadMetadata(format!(
            "format version {version}, this program reads {VERSION}"
        )));
    }
    let recipients = get("recipients")
        .and_then(Value::as_sequence)
        .map(|s| {
            s.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let s = |k: &str| {
        get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| SecretsError::BadMetadata(format!("`{k}` is missing")))
    };
    Ok(Meta {
        recipients,
        data_key: s("data_key")?,
        mac: s("mac")?,
    })
}

fn meta_value(meta: &Meta) -> Value {
    let mut m = Mapping::new();
    m.insert("version".into(), Value::Number(VERSION.into()));
    m.insert(
        "recipients".into(),
        Value::Sequence(
            meta.recipients
                .iter()
                .map(|r| Value::String(r.clone()))
                .collect(),
        ),
    );
    m.insert("data_key".into(), Value::String(meta.data_key.clone()));
    m.insert("mac".into(), Value::String(meta.mac.clone()));
    Value::Mapping(m)
}

fn leaf_of(v: &Value) -> Option<Leaf> {
    match v {
        Value::String(s) => Some(Leaf {
            kind: "str",
            text: s.clone(),
        }),
        Value::Bool(b) => Some(Leaf {
            kind: "bool",
            text: b.to_string(),
        }),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(Leaf {
            kind: "int",
            text: n.to_string(),
        }),
        Value::Number(n) => Some(Leaf {
            kind: "float",
            text: n.to_string(),
        }),
        _ => None,
    }
}

fn value_of(leaf: &Leaf) -> Value {
    match leaf.kind {
        "bool" => Value::Bool(leaf.text == "true"),
        "int" => serde_yaml_ng::from_str(&leaf.text).unwrap_or(Value::String(leaf.text.clone())),
        "float" => leaf
            .text
            .parse::<f64>()
            .map(|f| Value::Number(f.into()))
            .unwrap_or(Value::String(leaf.text.clone())),
        _ => Value::String(leaf.text.clone()),
    }
}

fn key_text(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        other => serde_yaml_ng::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

/// Visits every leaf in document order with its path; `f` may replace it.
fn walk(
    v: &mut Value,
    path: &str,
    f: &mut dyn FnMut(&str, &mut Value) -> Result<()>,
) -> Result<()> {
    match v {
        Value::Mapping(m) => {
            for (k, child) in m.iter_mut() {
                let p = format!(
                    "{path}/{}",
                    key_text(k).replace('~', "~0").replace('/', "~1")
                );
                walk(child, &p, f)?;
            }
            Ok(())
        }
        Value::Sequence(s) => {
            for (i, child) in s.iter_mut().enumerate() {
                walk(child, &format!("{path}/{i}"), f)?;
            }
            Ok(())
        }
        Value::Tagged(t) => walk(&mut t.value, path, f),
        Value::Null => Ok(()),
        _ => f(path, v),
    }
}

fn render(doc: &Doc, meta: Option<&Meta>, format: Format) -> String {
    match (doc, format) {
        (Doc::Tree(m), Format::Json) => {
            let mut m = m.clone();
            if let Some(meta) = meta {
                m.insert(META_KEY.into(), meta_value(meta));
            }
            serde_json::to_string_pretty(&Value::Mapping(m)).expect("serialises") + "\n"
        }
        (Doc::Tree(m), _) => {
            let mut m = m.clone();
            if let Some(meta) = meta {
                m.insert(META_KEY.into(), meta_value(meta));
            }
            serde_yaml_ng::to_string(&Value::Mapping(m)).expect("serialises")
        }
        (Doc::Env(lines), _) => {
            let mut out = String::new();
            for l in lines {
                match l {
                    EnvLine::Pair(k, v) => out.push_str(&format!("{k}={v}\n")),
                    EnvLine::Other(t) => out.push_str(&format!("{t}\n")),
                }
            }
            if let Some(meta) = meta {
                let v = serde_json::json!({
                    "version": VERSION,
                    "recipients": meta.recipients,
                    "data_key": meta.data_key,
                    "mac": meta.mac,
                });
                out.push_str(&format!("{ENV_META}{v}\n"));
            }
            out
        }
    }
}

/// Encrypts or decrypts every leaf; returns the plaintext leaves in order (for the MAC).
fn transform(doc: &mut Doc, key: &DataKey, encrypting: bool) -> Result<Vec<(String, Leaf)>> {
    let mut leaves = Vec::new();
    // Decrypting one value: it must be sealed.
    let step = |path: &str, sealed_or_plain: &str| -> Result<(Leaf, String)> {
        if is_sealed(sealed_or_plain) {
            let leaf = open(key, path, sealed_or_plain)?;
            let text = leaf.text.clone();
            Ok((leaf, text))
        } else {
            Err(SecretsError::Unencrypted(path.to_string()))
        }
    };
    match doc {
        Doc::Tree(m) => {
            let mut root = Value::Mapping(std::mem::take(m));
            walk(&mut root, "", &mut |path, v| {
                if encrypting {
                    if let Some(leaf) = leaf_of(v) {
                        if matches!(v, Value::String(s) if is_sealed(s)) {
                            return Err(SecretsError::AlreadyEncrypted);
                        }
                        *v = Value::String(seal(key, path, &leaf));
                        leaves.push((path.to_string(), leaf));
                    }
                } else {
                    let s = match v {
                        Value::String(s) => s.clone(),
                        _ => return Err(SecretsError::Unencrypted(path.to_string())),
                    };
                    let (leaf, _) = step(path, &s)?;
                    *v = value_of(&leaf);
                    leaves.push((path.to_string(), leaf));
                }
                Ok(())
            })?;
            let Value::Mapping(back) = root else {
                unreachable!("the root stays a mapping")
            };
            *m = back;
        }
        Doc::Env(lines) => {
            for l in lines.iter_mut() {
                if let EnvLine::Pair(k, v) = l {
                    let path = format!("/{k}");
                    if encrypting {
                        if is_sealed(v) {
                            return Err(SecretsError::AlreadyEncrypted);
                        }
                        let leaf = Leaf {
                            kind: "str",
                            text: v.clone(),
                        };
                        *v = seal(key, &path, &leaf);
                        leaves.push((path, leaf));
                    } else {
                        let (leaf, text) = step(&path, v)?;
                        *v = text;
                        leaves.push((path, leaf));
                    }
                }
            }
        }
    }
    Ok(leaves)
}

/// Whether `text` carries the metadata of an encrypted file.
pub fn is_encrypted(text: &str, format: Format) -> bool {
    match format {
        Format::Env => text.lines().any(|l| l.starts_with(ENV_META)),
        _ => parse(text, format).is_ok_and(|(_, m)| m.is_some()),
    }
}

/// The recipients an encrypted file names.
pub fn recipients_of(text: &str, format: Format) -> Result<Vec<String>> {
    let (_, meta) = parse(text, format)?;
    Ok(meta.ok_or(SecretsError::NotEncrypted)?.recipients)
}

/// Encrypts a plaintext file to `recipients` with a new data key.
pub fn encrypt(text: &str, format: Format, recipients: &[String]) -> Result<String> {
    let parsed = parse_recipients(recipients)?;
    let (mut doc, meta) = parse(text, format)?;
    if meta.is_some() {
        return Err(SecretsError::AlreadyEncrypted);
    }
    let key = DataKey::generate();
    let leaves = transform(&mut doc, &key, true)?;
    let meta = Meta {
        recipients: recipients.to_vec(),
        data_key: wrap_key(&key, &parsed)?,
        mac: mac(&key, &leaves),
    };
    Ok(render(&doc, Some(&meta), format))
}

/// An opened file: the plaintext document, its metadata, the data key, the leaves in order.
type Opened = (Doc, Meta, DataKey, Vec<(String, Leaf)>);

fn open_file(text: &str, format: Format, identities: &[Identity]) -> Result<Opened> {
    let (mut doc, meta) = parse(text, format)?;
    let meta = meta.ok_or(SecretsError::NotEncrypted)?;
    let key = unwrap_key(&meta, identities)?;
    let leaves = transform(&mut doc, &key, false)?;
    if mac(&key, &leaves) != meta.mac {
        return Err(SecretsError::BadMac);
    }
    Ok((doc, meta, key, leaves))
}

/// Decrypts an encrypted file (checking every value and the MAC) to its plaintext.
pub fn decrypt(text: &str, format: Format, identities: &[Identity]) -> Result<String> {
    let (doc, _, _, _) = open_file(text, format, identities)?;
    Ok(render(&doc, None, format))
}

/// Decrypted `.env`-style pairs of any format (nested keys joined with `_`, upper-cased).
pub fn decrypt_pairs(
    text: &str,
    format: Format,
    identities: &[Identity],
) -> Result<Vec<(String, String)>> {
    let (_, _, _, leaves) = open_file(text, format, identities)?;
    Ok(leaves
        .into_iter()
        .map(|(path, leaf)| {
            (
                path.trim_start_matches('/')
                    .replace('/', "_")
                    .to_uppercase(),
                leaf.text,
            )
        })
        .collect())
}

/// Re-encrypts every value under a new data key (same recipients).
pub fn rotate(text: &str, format: Format, identities: &[Identity]) -> Result<String> {
    let (doc, meta, _, _) = open_file(text, format, identities)?;
    encrypt(&render(&doc, None, format), format, &meta.recipients)
}

/// Gives the data key to a new set of recipients; the values' ciphertexts do not change.
pub fn update_keys(
    text: &str,
    format: Format,
    identities: &[Identity],
    recipients: &[String],
) -> Result<String> {
    let parsed = parse_recipients(recipients)?;
    let (doc_plain, meta, key, _) = open_file(text, format, identities)?;
    drop(doc_plain);
    // Keep the sealed document as it is; only the metadata changes.
    let (sealed, _) = parse(text, format)?;
    let meta = Meta {
        recipients: recipients.to_vec(),
        data_key: wrap_key(&key, &parsed)?,
        mac: meta.mac,
    };
    Ok(render(&sealed, Some(&meta), format))
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::secrecy::ExposeSecret;

    fn ids(n: usize) -> (Vec<Identity>, Vec<String>) {
        let ids: Vec<Identity> = (0..n).map(|_| Identity::generate()).collect();
        let recips = ids.iter().map(|i| i.to_public().to_string()).collect();
        (ids, recips)
    }

    const YAML: &str = "db:\n  user: app\n  password: s3-cr3t\n  port: 5432\n  ssl: true\n  ratio: 0.5\nkeys:\n- one\n- two\nempty: null\n";
    const JSON: &str =
        "{\n  \"token\": \"tok-abc\",\n  \"nested\": {\"n\": 7, \"list\": [\"x\", false]}\n}\n";
    const ENV: &str = "# service secrets\nAPI_KEY=key-abc123\n\nDB_URL=postgres://u:p@h/db\n";

    #[test]
    fn round_trips_every_format_and_hides_every_value() {
        let (me, recips) = ids(1);
        for (text, format, secret) in [
            (YAML, Format::Yaml, "s3-cr3t"),
            (JSON, Format::Json, "tok-abc"),
            (ENV, Format::Env, "key-abc123"),
        ] {
            // The plaintext secrets hold a '-', which the ciphertext's base64 and the MAC's hex
            // never do, so finding one means the value leaked (a plain "abc" flaked: random
            // base64 holds it now and then).
            let enc = encrypt(text, format, &recips).unwrap();
            assert!(!enc.contains(secret), "{enc}");
            assert!(is_encrypted(&enc, format));
            assert!(!is_encrypted(text, format));
            let dec = decrypt(&enc, format, &me).unwrap();
            let same = |a: &str| match format {
                Format::Env => a.to_string(),
                _ => serde_json::to_string(&serde_yaml_ng::from_str::<Value>(a).unwrap()).unwrap(),
            };
            assert_eq!(same(&dec), same(text), "{format:?}");
        }
        // Types survive: numbers, booleans, floats; nulls and keys stay readable.
        let enc = encrypt(YAML, Format::Yaml, &recips).unwrap();
        assert!(
            enc.contains("password: ENC[v1,") && enc.contains("empty: null"),
            "{enc}"
        );
        assert!(
            enc.contains("type:int") && enc.contains("type:bool") && enc.contains("type:float")
        );
        assert_eq!(decrypt(&enc, Format::Yaml, &me).unwrap(), YAML);
        let env = encrypt(ENV, Format::Env, &recips).unwrap();
        assert!(
            env.starts_with("# service secrets\nAPI_KEY=ENC[v1,"),
            "{env}"
        );
    }

    #[test]
    fn tampering_is_refused() {
        let (me, recips) = ids(1);
        let enc = encrypt(YAML, Format::Yaml, &recips).unwrap();
        let v: Value = serde_yaml_ng::from_str(&enc).unwrap();
        let ct = |k: &str| v["db"][k].as_str().unwrap().to_string();
        // A changed ciphertext.
        let changed = enc.replacen(&ct("password")[10..20], "AAAAAAAAAA", 1);
        assert!(
            matches!(decrypt(&changed, Format::Yaml, &me), Err(SecretsError::Tampered(p)) if p == "/db/password")
        );
        // Values swapped between keys: the path is bound to each value.
        let swapped = enc
            .replace(&ct("user"), "@U@")
            .replace(&ct("password"), &ct("user"))
            .replace("@U@", &ct("password"));
        assert!(matches!(
            decrypt(&swapped, Format::Yaml, &me),
            Err(SecretsError::Tampered(_))
        ));
        // A removed key.
        let removed: String = enc
            .lines()
            .filter(|l| !l.contains("port:"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(matches!(
            decrypt(&removed, Format::Yaml, &me),
            Err(SecretsError::BadMac)
        ));
        // Reordered entries of a list.
        let reordered = {
            let mut v2 = v.clone();
            let seq = v2["keys"].as_sequence_mut().unwrap();
            seq.swap(0, 1);
            serde_yaml_ng::to_string(&v2).unwrap()
        };
        assert!(decrypt(&reordered, Format::Yaml, &me).is_err());
        // Reordered .env lines (each line decrypts, the MAC catches the order).
        let env = encrypt("A=1\nB=2\n", Format::Env, &recips).unwrap();
        let lines: Vec<&str> = env.lines().collect();
        let reordered = format!("{}\n{}\n{}\n", lines[1], lines[0], lines[2]);
        assert!(matches!(
            decrypt(&reordered, Format::Env, &me),
            Err(SecretsError::BadMac)
        ));
        // A plaintext value slipped in.
        let added = enc.replace("empty: null", "empty: injected");
        assert!(
            matches!(decrypt(&added, Format::Yaml, &me), Err(SecretsError::Unencrypted(p)) if p == "/empty")
        );
    }

    #[test]
    fn recipients_change_without_touching_values_and_rotation_changes_the_key() {
        let (a, ra) = ids(1);
        let (b, rb) = ids(1);
        let enc = encrypt(YAML, Format::Yaml, &ra).unwrap();
        assert!(matches!(
            decrypt(&enc, Format::Yaml, &b),
            Err(SecretsError::NoIdentity(_))
        ));
        let both: Vec<String> = ra.iter().chain(&rb).cloned().collect();
        let upd = update_keys(&enc, Format::Yaml, &a, &both).unwrap();
        let values = |t: &str| {
            let v: Value = serde_yaml_ng::from_str(t).unwrap();
            v["db"]["password"].as_str().unwrap().to_string()
        };
        assert_eq!(values(&upd), values(&enc), "values are not re-encrypted");
        assert_eq!(decrypt(&upd, Format::Yaml, &b).unwrap(), YAML);
        // Remove A: A can no longer decrypt.
        let only_b = update_keys(&upd, Format::Yaml, &b, &rb).unwrap();
        assert!(decrypt(&only_b, Format::Yaml, &a).is_err());
        let rotated = rotate(&only_b, Format::Yaml, &b).unwrap();
        assert_ne!(values(&rotated), values(&only_b));
        assert_eq!(decrypt(&rotated, Format::Yaml, &b).unwrap(), YAML);
        assert_eq!(recipients_of(&rotated, Format::Yaml).unwrap(), rb);
        // Identity files.
        let file = format!("# created\n{}\n", b[0].to_string().expose_secret());
        assert_eq!(parse_identities(&file).len(), 1);
    }

    #[test]
    fn bad_input_is_named() {
        let (_, recips) = ids(1);
        assert!(matches!(
            encrypt("- a\n- b\n", Format::Yaml, &recips),
            Err(SecretsError::NotAMapping)
        ));
        assert!(matches!(
            encrypt("a: [", Format::Yaml, &recips),
            Err(SecretsError::Parse(_))
        ));
        assert!(matches!(
            encrypt("a: 1\n", Format::Yaml, &["nope".into()]),
            Err(SecretsError::BadRecipient(_))
        ));
        let enc = encrypt("a: 1\n", Format::Yaml, &recips).unwrap();
        assert!(matches!(
            encrypt(&enc, Format::Yaml, &recips),
            Err(SecretsError::AlreadyEncrypted)
        ));
        assert!(matches!(
            decrypt("a: 1\n", Format::Yaml, &[]),
            Err(SecretsError::NotEncrypted)
        ));
    }
}
