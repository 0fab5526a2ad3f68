//! The repository format, version 1 (experimental; see `adr/0001-repository-format.md`).
//!
//! ```text
//! config                      JSON, plaintext: format version, repository id, chunker sizes
//! keys/<id>                   JSON, one per way in: `argon2id` (parameters, salt, the master
//!                             key encrypted with the key derived from the passphrase) or
//!                             `age` (the master key as an age file to one recipient)
//! data/<2 hex>/<pack id>      pack: encrypted blobs one after another, then the encrypted
//!                             pack header (blob ids, kinds, offsets, lengths), then its length
//!                             as 4 bytes little-endian
//! index/<id>                  encrypted JSON: blob id → pack, offset, length, kind
//! snapshots/<id>              encrypted JSON: time, host, paths, tags, root tree, parent
//! locks/<id>                  JSON: who holds the exclusive lock
//! ```
//!
//! The master key is 64 bytes: an XChaCha20-Poly1305 key for every encrypted object and a
//! BLAKE3 key for blob ids (keyed hashes of the plaintext, so ids reveal nothing). Blobs are
//! zstd-compressed, then encrypted; each encrypted object is `nonce (24) || ciphertext`. Trees
//! are blobs too: JSON lists of nodes with names, metadata and content blob ids. File names and
//! data exist only inside encrypted objects.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use chacha20poly1305::aead::{Aead, KeyInit, OsRng, rand_core::RngCore};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::storage::{Local, Store};

/// The format this program writes; it reads this one and the ones before it (version 1 kept
/// index files and pack headers as plain JSON inside the encryption, version 2 compresses them).
pub const VERSION: u32 = 2;
/// The first format this program reads.
pub const OLDEST_VERSION: u32 = 1;
/// Packs are closed once they reach this size.
pub const PACK_TARGET: usize = 16 << 20;

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("{0} is not a file-backup repository (no config): run `file-backup init` first")]
    NotARepo(String),
    #[error("{0} already holds a repository")]
    Exists(String),
    #[error("wrong password: no key of this repository opens with it")]
    WrongPassword,
    #[error(
        "no key of this repository opens with the given age identity (keys: `file-backup key list`)"
    )]
    NoIdentity,
    #[error("{0}")]
    Key(String),
    #[error(
        "repository format version {0}; this program reads versions {OLDEST_VERSION} to {VERSION}"
    )]
    Version(u32),
    #[error("{0} is damaged: {1}")]
    Damaged(String, String),
    #[error(
        "the repository is locked by {0} (pid {1}) since {2}; if that process is gone, run `file-backup unlock`"
    )]
    Locked(String, u32, String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

type Result<T, E = RepoError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    pub version: u32,
    pub id: String,
    pub chunk_min: usize,
    pub chunk_avg: usize,
    pub chunk_max: usize,
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyFile {
    /// `argon2id` (a passphrase) or `age` (an age recipient).
    kdf: String,
    #[serde(default)]
    m_cost: u32,
    #[serde(default)]
    t_cost: u32,
    #[serde(default)]
    p_cost: u32,
    #[serde(default)]
    salt: String,
    /// The master key, encrypted with the passphrase's key, or as an age file (hex).
    master: String,
    /// The age recipient an `age` key is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    recipient: Option<String>,
    created: String,
}

/// What opens a repository: its password, or age identities (keys added with a recipient).
pub enum Credentials {
    Password(String),
    Identities(Vec<age::x25519::Identity>),
}

/// The age identities (`AGE-SECRET-KEY-1…` lines) of an identity file.
pub fn read_identities(path: &Path) -> anyhow::Result<Vec<age::x25519::Identity>> {
    let text = fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let ids = secrets::parse_identities(&text);
    anyhow::ensure!(
        !ids.is_empty(),
        "{}: no age identity (AGE-SECRET-KEY-1…) in it",
        path.display()
    );
    Ok(ids)
}

/// A file under `data/`: a pack, or a half-written `.tmp-…` file a crashed writer left.
pub struct DataFile {
    /// The file name (a pack's id).
    pub name: String,
    /// Its name in the store (`data/<2 hex>/<name>`).
    pub key: String,
    pub len: u64,
}

impl DataFile {
    pub fn is_partial(&self) -> bool {
        self.name.starts_with(".tmp")
    }
}

/// Every file under the repository's `data/` folders.
pub fn data_files(store: &dyn Store) -> Result<Vec<DataFile>> {
    Ok(store
        .list("data")?
        .into_iter()
        .map(|e| DataFile {
            name: e.name.rsplit('/').next().unwrap_or(&e.name).to_string(),
            key: format!("data/{}", e.name),
            len: e.len,
        })
        .collect())
}

/// The objects of `dir` (keys, index, snapshots, locks) by name, temporary files left out.
fn names(store: &dyn Store, dir: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = store
        .list(dir)?
        .into_iter()
        .map(|e| e.name)
        .filter(|n| !n.starts_with(".tmp") && !n.contains('/'))
        .collect();
    out.sort();
    Ok(out)
}

/// A way into the repository, as `key list` shows it.
#[derive(Debug, Serialize)]
pub struct KeyInfo {
    pub id: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    pub created: String,
}

/// A key to add: a passphrase or an age recipient.
pub enum NewKey {
    Password(String),
    Recipient(age::x25519::Recipient),
}

fn password_key(password: &str, master: &[u8]) -> KeyFile {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let (m, t, p) = (64 * 1024, 3, 1);
    let kek = kdf(password.as_bytes(), &salt, m, t, p);
    KeyFile {
        kdf: "argon2id".into(),
        m_cost: m,
        t_cost: t,
        p_cost: p,
        salt: hex::encode(salt),
        master: hex::encode(seal_with(&kek, master)),
        recipient: None,
        created: chrono::Utc::now().to_rfc3339(),
    }
}

fn age_key(recipient: &age::x25519::Recipient, master: &[u8]) -> Result<KeyFile> {
    let enc = age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
        .map_err(|e| RepoError::Key(format!("age recipient {recipient}: {e}")))?;
    let mut out = Vec::new();
    let mut w = enc
        .wrap_output(&mut out)
        .map_err(|e| RepoError::Key(e.to_string()))?;
    w.write_all(master)?;
    w.finish()?;
    Ok(KeyFile {
        kdf: "age".into(),
        m_cost: 0,
        t_cost: 0,
        p_cost: 0,
        salt: String::new(),
        master: hex::encode(out),
        recipient: Some(recipient.to_string()),
        created: chrono::Utc::now().to_rfc3339(),
    })
}

/// The largest Argon2 parameters a key file may ask for (1 GiB, 20 passes, 16 lanes): a
/// crafted key file must not make opening the repository allocate 4 GiB or panic.
const MAX_M_COST: u32 = 1 << 20;
const MAX_T_COST: u32 = 20;
const MAX_P_COST: u32 = 16;

/// Refuses a password key file whose KDF parameters are out of bounds or malformed.
fn check_kdf(k: &KeyFile, name: &str) -> Result<()> {
    if k.kdf != "argon2id" {
        return Ok(());
    }
    let bad = |why: String| Err(RepoError::Damaged(format!("keys/{name}"), why));
    if !(1..=MAX_P_COST).contains(&k.p_cost) || !(1..=MAX_T_COST).contains(&k.t_cost) {
        return bad(format!(
            "argon2 parameters out of bounds: t_cost {} (1 to {MAX_T_COST}), p_cost {} (1 to {MAX_P_COST})",
            k.t_cost, k.p_cost
        ));
    }
    if !(8 * k.p_cost..=MAX_M_COST).contains(&k.m_cost) {
        return bad(format!(
            "argon2 memory {} KiB out of bounds ({} to {MAX_M_COST} KiB)",
            k.m_cost,
            8 * k.p_cost
        ));
    }
    match hex::decode(&k.salt) {
        Ok(s) if (8..=64).contains(&s.len()) => Ok(()),
        _ => bad("the salt is not 8 to 64 bytes of hex".into()),
    }
}

/// Refuses an empty password: it would protect nothing.
fn check_password(password: &str) -> Result<()> {
    if password.is_empty() {
        return Err(RepoError::Key(
            "an empty password protects nothing: choose one (or use an age recipient)".into(),
        ));
    }
    Ok(())
}

/// The master key inside `k`, if `creds` open it.
fn unwrap_master(k: &KeyFile, creds: &Credentials) -> Option<Zeroizing<Vec<u8>>> {
    let sealed = hex::decode(&k.master).ok()?;
    match (k.kdf.as_str(), creds) {
        ("argon2id", Credentials::Password(password)) => {
            let salt = hex::decode(&k.salt).ok()?;
            let kek = kdf(password.as_bytes(), &salt, k.m_cost, k.t_cost, k.p_cost);
            open_with(&kek, &sealed).map(Zeroizing::new)
        }
        ("age", Credentials::Identities(ids)) => {
            use std::io::Read as _;
            let dec = age::Decryptor::new_buffered(&sealed[..]).ok()?;
            let mut r = dec
                .decrypt(ids.iter().map(|i| i as &dyn age::Identity))
                .ok()?;
            let mut out = Zeroizing::new(Vec::new());
            r.read_to_end(&mut out).ok()?;
            Some(out)
        }
        _ => None,
    }
}

/// The 64-byte master key.
#[derive(Clone)]
pub struct Keys {
    enc: Zeroizing<[u8; 32]>,
    id: Zeroizing<[u8; 32]>,
}

pub fn random_id() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

fn kdf(pass: &[u8], salt: &[u8], m: u32, t: u32, p: u32) -> Zeroizing<[u8; 32]> {
    let params = argon2::Params::new(m, t, p, Some(32)).expect("valid argon2 parameters");
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; 32]);
    a.hash_password_into(pass, salt, &mut out[..])
        .expect("argon2 with valid parameters");
    out
}

fn seal_with(key: &[u8; 32], plain: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new_from_slice(key).expect("32-byte key");
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut nonce);
    let mut out = nonce.to_vec();
    out.extend(
        cipher
            .encrypt(XNonce::from_slice(&nonce), plain)
            .expect("encryption does not fail"),
    );
    out
}

fn open_with(key: &[u8; 32], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < 24 + 16 {
        return None;
    }
    let cipher = XChaCha20Poly1305::new_from_slice(key).expect("32-byte key");
    cipher
        .decrypt(XNonce::from_slice(&sealed[..24]), &sealed[24..])
        .ok()
}

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

impl Keys {
    fn from_master(master: &[u8]) -> Keys {
        let mut enc = Zeroizing::new([0u8; 32]);
        let mut id = Zeroizing::new([0u8; 32]);
        enc.copy_from_slice(&master[..32]);
        id.copy_from_slice(&master[32..]);
        Keys { enc, id }
    }

    fn master(&self) -> Zeroizing<Vec<u8>> {
        let mut m = Zeroizing::new(Vec::with_capacity(64));
        m.extend_from_slice(&self.enc[..]);
        m.extend_from_slice(&self.id[..]);
        m
    }

    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        seal_with(&self.enc, plain)
    }

    pub fn open(&self, what: &str, sealed: &[u8]) -> Result<Vec<u8>> {
        open_with(&self.enc, sealed)
            .ok_or_else(|| RepoError::Damaged(what.into(), "authentication failed".into()))
    }

    /// Encrypts a metadata object (an index file, a pack header): zstd-compressed first from
    /// format version 2 on.
    pub fn seal_meta(&self, version: u32, json: &[u8]) -> Vec<u8> {
        if version >= 2 {
            self.seal(&zstd::bulk::compress(json, 3).expect("zstd compresses in memory"))
        } else {
            self.seal(json)
        }
    }

    /// Decrypts a metadata object, decompressing it when it is zstd (a JSON text never starts
    /// with zstd's magic number).
    pub fn open_meta(&self, what: &str, sealed: &[u8]) -> Result<Vec<u8>> {
        let plain = self.open(what, sealed)?;
        if plain.starts_with(&ZSTD_MAGIC) {
            return zstd::decode_all(&plain[..])
                .map_err(|e| RepoError::Damaged(what.into(), e.to_string()));
        }
        Ok(plain)
    }

    /// The id of a blob: keyed BLAKE3 of its plaintext.
    pub fn blob_id(&self, plain: &[u8]) -> String {
        blake3::keyed_hash(&self.id, plain).to_hex().to_string()
    }
}

/// A blob's place in the repository.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Location {
    pub pack: String,
    pub offset: u64,
    pub length: u64,
    /// `data` or `tree`.
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub time: String,
    pub host: String,
    pub paths: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub tree: String,
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default)]
    pub summary: Summary,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    pub files_new: u64,
    pub files_changed: u64,
    pub files_unchanged: u64,
    pub dirs: u64,
    pub bytes_read: u64,
    pub bytes_added: u64,
    pub blobs_added: u64,
    pub duration_ms: u64,
}

/// An open repository.
pub struct Repo {
    pub store: Arc<dyn Store>,
    pub config: Config,
    pub keys: Arc<Keys>,
    pub index: HashMap<String, Location>,
}

fn read_json<T: for<'de> Deserialize<'de>>(store: &dyn Store, name: &str) -> Result<T> {
    let bytes = store.read(name)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| RepoError::Damaged(format!("{}/{name}", store.location()), e.to_string()))
}

/// Writes a file through a temporary name and a rename, so a crash never leaves half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().expect("a parent folder");
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        path.file_name().unwrap().to_string_lossy()
    ));
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    Ok(())
}

impl Repo {
    /// Creates a repository in the local folder `root` protected by `password`.
    pub fn init(root: &Path, password: &str) -> Result<Repo> {
        Repo::init_with(Arc::new(Local::new(root)), Some(password), &[])
    }

    /// Creates a repository opened by `password` and/or each of `recipients`' identities.
    pub fn init_with(
        store: Arc<dyn Store>,
        password: Option<&str>,
        recipients: &[age::x25519::Recipient],
    ) -> Result<Repo> {
        if store.exists("config")? {
            return Err(RepoError::Exists(store.location()));
        }
        if password.is_none() && recipients.is_empty() {
            return Err(RepoError::Key(
                "a repository needs a password or an age recipient".into(),
            ));
        }
        if let Some(p) = password {
            check_password(p)?;
        }
        store.prepare()?;
        let config = Config {
            version: VERSION,
            id: random_id(),
            chunk_min: 512 << 10,
            chunk_avg: 1 << 20,
            chunk_max: 8 << 20,
        };
        let mut master = Zeroizing::new([0u8; 64]);
        OsRng.fill_bytes(&mut master[..]);
        let mut files = Vec::new();
        if let Some(p) = password {
            files.push(password_key(p, &master[..]));
        }
        for r in recipients {
            files.push(age_key(r, &master[..])?);
        }
        for key in files {
            store.write(
                &format!("keys/{}", random_id()),
                &serde_json::to_vec_pretty(&key).expect("serialises"),
            )?;
        }
        store.write(
            "config",
            &serde_json::to_vec_pretty(&config).expect("serialises"),
        )?;
        Ok(Repo {
            store,
            config,
            keys: Arc::new(Keys::from_master(&master[..])),
            index: HashMap::new(),
        })
    }

    /// Opens the repository in the local folder `root` with its password; a wrong one is
    /// `WrongPassword`.
    pub fn open(root: &Path, password: &str) -> Result<Repo> {
        Repo::open_with(
            Arc::new(Local::new(root)),
            &Credentials::Password(password.to_string()),
        )
    }

    /// Opens a repository with a password or age identities.
    pub fn open_with(store: Arc<dyn Store>, creds: &Credentials) -> Result<Repo> {
        if !store.exists("config")? {
            return Err(RepoError::NotARepo(store.location()));
        }
        let config: Config = read_json(&*store, "config")?;
        if !(OLDEST_VERSION..=VERSION).contains(&config.version) {
            return Err(RepoError::Version(config.version));
        }
        let mut keys = None;
        for name in names(&*store, "keys")? {
            let k: KeyFile = read_json(&*store, &format!("keys/{name}"))?;
            check_kdf(&k, &name)?;
            if let Some(master) = unwrap_master(&k, creds)
                && master.len() == 64
            {
                keys = Some(Keys::from_master(&master));
                break;
            }
        }
        let keys = Arc::new(keys.ok_or(match creds {
            Credentials::Password(_) => RepoError::WrongPassword,
            Credentials::Identities(_) => RepoError::NoIdentity,
        })?);
        let mut repo = Repo {
            store,
            config,
            keys,
            index: HashMap::new(),
        };
        repo.load_index()?;
        Ok(repo)
    }

    /// The ways into the repository.
    pub fn key_list(&self) -> Result<Vec<KeyInfo>> {
        let mut out = Vec::new();
        for id in names(&*self.store, "keys")? {
            let k: KeyFile = read_json(&*self.store, &format!("keys/{id}"))?;
            out.push(KeyInfo {
                id,
                kind: if k.kdf == "age" { "age" } else { "password" }.into(),
                recipient: k.recipient,
                created: k.created,
            });
        }
        out.sort_by(|a, b| a.created.cmp(&b.created));
        Ok(out)
    }

    /// Adds a way in; returns its key id.
    pub fn key_add(&self, key: &NewKey) -> Result<String> {
        let master = self.keys.master();
        let file = match key {
            NewKey::Password(p) => {
                check_password(p)?;
                password_key(p, &master)
            }
            NewKey::Recipient(r) => age_key(r, &master)?,
        };
        let id = random_id();
        self.store.write(
            &format!("keys/{id}"),
            &serde_json::to_vec_pretty(&file).expect("serialises"),
        )?;
        Ok(id)
    }

    /// Removes the key whose id starts with `prefix`; the last key cannot go.
    pub fn key_remove(&self, prefix: &str) -> Result<String> {
        let all = self.key_list()?;
        let matching: Vec<&KeyInfo> = all.iter().filter(|k| k.id.starts_with(prefix)).collect();
        let key = match matching.as_slice() {
            [one] => *one,
            [] => {
                return Err(RepoError::Key(format!(
                    "no key {prefix} (see `file-backup key list`)"
                )));
            }
            _ => {
                return Err(RepoError::Key(format!(
                    "the prefix {prefix} matches {} keys; give more characters",
                    matching.len()
                )));
            }
        };
        if all.len() == 1 {
            return Err(RepoError::Key(
                "that is the repository's last key: add another first".into(),
            ));
        }
        self.store.remove(&format!("keys/{}", key.id))?;
        Ok(key.id.clone())
    }

    fn load_index(&mut self) -> Result<()> {
        for name in names(&*self.store, "index")? {
            let what = format!("index/{name}");
            let plain = self.keys.open_meta(&what, &self.store.read(&what)?)?;
            let part: HashMap<String, Location> = serde_json::from_slice(&plain)
                .map_err(|e| RepoError::Damaged(format!("index/{name}"), e.to_string()))?;
            self.index.extend(part);
        }
        Ok(())
    }

    /// Where pack `pack` is in the store.
    pub fn pack_name(pack: &str) -> String {
        format!("data/{}/{pack}", &pack[..2.min(pack.len())])
    }

    /// The folder or URL of the repository, for messages.
    pub fn location(&self) -> String {
        self.store.location()
    }

    /// Reads, decrypts, decompresses and checks one blob.
    pub fn read_blob(&self, id: &str) -> Result<Vec<u8>> {
        let loc = self
            .index
            .get(id)
            .ok_or_else(|| RepoError::Damaged(format!("blob {id}"), "not in the index".into()))?;
        let sealed = self
            .store
            .read_range(&Repo::pack_name(&loc.pack), loc.offset, loc.length)?;
        let what = format!("blob {id} in pack {}", loc.pack);
        let compressed = self.keys.open(&what, &sealed)?;
        drop(sealed);
        // One allocation of the exact size when the frame says it (blobs written by this
        // program do); a streaming decode otherwise.
        thread_local! {
            static ZSTD: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
                std::cell::RefCell::new(zstd::bulk::Decompressor::new().ok());
        }
        let plain = match zstd::zstd_safe::get_frame_content_size(&compressed) {
            Ok(Some(n)) if n <= 64 << 20 => ZSTD.with_borrow_mut(|z| match z {
                Some(z) => z.decompress(&compressed, n as usize),
                None => zstd::bulk::decompress(&compressed, n as usize),
            }),
            _ => zstd::decode_all(&compressed[..]),
        }
        .map_err(|e| RepoError::Damaged(what.clone(), e.to_string()))?;
        if self.keys.blob_id(&plain) != id {
            return Err(RepoError::Damaged(
                what,
                "content does not match its id".into(),
            ));
        }
        Ok(plain)
    }

    pub fn save_snapshot(&self, s: &Snapshot) -> Result<String> {
        let id = random_id();
        let sealed = self.keys.seal(&serde_json::to_vec(s).expect("serialises"));
        self.store.write(&format!("snapshots/{id}"), &sealed)?;
        Ok(id)
    }

    /// Every snapshot, oldest first.
    pub fn snapshots(&self) -> Result<Vec<(String, Snapshot)>> {
        let mut out = Vec::new();
        for id in names(&*self.store, "snapshots")? {
            let what = format!("snapshots/{id}");
            let plain = self.keys.open(&what, &self.store.read(&what)?)?;
            let s: Snapshot = serde_json::from_slice(&plain)
                .map_err(|e| RepoError::Damaged(format!("snapshots/{id}"), e.to_string()))?;
            out.push((id, s));
        }
        out.sort_by(|a, b| a.1.time.cmp(&b.1.time));
        Ok(out)
    }

    /// The snapshot `prefix` names (a unique id prefix, or `latest`).
    pub fn find_snapshot(&self, prefix: &str) -> Result<(String, Snapshot)> {
        let all = self.snapshots()?;
        if prefix == "latest" {
            return all
                .into_iter()
                .last()
                .ok_or_else(|| RepoError::Damaged("snapshots".into(), "there are none".into()));
        }
        let mut m: Vec<_> = all
            .into_iter()
            .filter(|(id, _)| id.starts_with(prefix))
            .collect();
        match m.len() {
            1 => Ok(m.remove(0)),
            0 => Err(RepoError::Damaged(
                format!("snapshot {prefix}"),
                "no such snapshot".into(),
            )),
            n => Err(RepoError::Damaged(
                format!("snapshot {prefix}"),
                format!("the prefix matches {n} snapshots; give more characters"),
            )),
        }
    }

    /// Removes every lock (after a crash left one behind); returns how many.
    pub fn unlock(&self) -> Result<usize> {
        let mut n = 0;
        for e in self.store.list("locks")? {
            self.store.remove(&format!("locks/{}", e.name))?;
            n += 1;
        }
        Ok(n)
    }

    /// Removes a snapshot (its data stays until a prune).
    pub fn forget_snapshot(&self, id: &str) -> Result<()> {
        self.store.remove(&format!("snapshots/{id}"))?;
        Ok(())
    }

    /// Takes the exclusive lock; released when the guard drops.
    pub fn lock(&self) -> Result<LockGuard> {
        lock_at(self.store.clone())
    }
}

/// Takes the exclusive lock of the repository in `store` (one that need not be open: `copy`'s
/// target); released when the guard drops. A lock of this host whose process is gone is stale
/// and removed; a lock of another host holds until `unlock`.
pub fn lock_at(store: Arc<dyn Store>) -> Result<LockGuard> {
    let me = hostname();
    for e in store.list("locks")? {
        let name = format!("locks/{}", e.name);
        if let Ok(l) = read_json::<LockInfo>(&*store, &name) {
            if l.host != me || (l.pid != std::process::id() && pid_alive(l.pid)) {
                return Err(RepoError::Locked(l.host, l.pid, l.time));
            }
            // A lock of a process that is gone (a crash): stale, removed.
            let _ = store.remove(&name);
        }
    }
    let name = format!("locks/{}", random_id());
    let info = LockInfo {
        host: me,
        pid: std::process::id(),
        time: chrono::Utc::now().to_rfc3339(),
    };
    store.write(&name, &serde_json::to_vec(&info).expect("serialises"))?;
    Ok(LockGuard(store, name))
}

#[derive(Debug, Serialize, Deserialize)]
struct LockInfo {
    host: String,
    pid: u32,
    time: String,
}

pub struct LockGuard(Arc<dyn Store>, String);

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.0.remove(&self.1);
    }
}

fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

pub fn hostname() -> String {
    fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// Collects blobs into packs and writes them with their index. Compression and encryption run
/// on worker threads (one per core) and packs are written by one more, so reading, chunking and
/// hashing (the caller's thread) overlap with them; [`PackWriter::flush`] waits for all of it.
pub struct PackWriter<'a> {
    repo: &'a mut Repo,
    pipeline: Option<Pipeline>,
    /// Blobs handed to the pipeline and not yet in the index.
    pending: HashSet<String>,
    added_bytes: Arc<AtomicU64>,
    pub added_blobs: u64,
    new_index: HashMap<String, Location>,
}

#[derive(Serialize, Deserialize)]
struct PackHeaderEntry {
    id: String,
    kind: String,
    offset: u64,
    length: u64,
}

struct Job {
    id: String,
    kind: String,
    plain: Vec<u8>,
}

type Sealed = std::result::Result<(String, String, Vec<u8>), String>;

/// The threads behind a [`PackWriter`]: workers compress and encrypt, the packer writes packs
/// and returns where each blob went.
struct Pipeline {
    jobs: SyncSender<Job>,
    workers: Vec<JoinHandle<()>>,
    packer: JoinHandle<Result<Vec<(String, Location)>>>,
}

impl Pipeline {
    fn start(repo: &Repo, added_bytes: Arc<AtomicU64>) -> Pipeline {
        let n = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
        let (jobs, job_rx) = sync_channel::<Job>(2 * n);
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (sealed_tx, sealed_rx) = sync_channel::<Sealed>(2 * n);
        let workers = (0..n)
            .map(|_| {
                let (rx, tx, keys) = (job_rx.clone(), sealed_tx.clone(), repo.keys.clone());
                std::thread::spawn(move || worker(&rx, &tx, &keys))
            })
            .collect();
        drop(sealed_tx);
        let (keys, store, version) = (repo.keys.clone(), repo.store.clone(), repo.config.version);
        let packer =
            std::thread::spawn(move || packer(sealed_rx, &keys, &*store, version, &added_bytes));
        Pipeline {
            jobs,
            workers,
            packer,
        }
    }

    /// Waits for every blob sent so far to be in a written pack; returns where each went.
    fn finish(self) -> Result<Vec<(String, Location)>> {
        drop(self.jobs);
        let mut panicked = false;
        for w in self.workers {
            panicked |= w.join().is_err();
        }
        let placed = self
            .packer
            .join()
            .map_err(|_| RepoError::Io(std::io::Error::other("the pack writer panicked")))??;
        if panicked {
            return Err(RepoError::Io(std::io::Error::other(
                "a compression worker panicked",
            )));
        }
        Ok(placed)
    }
}

fn worker(jobs: &Mutex<Receiver<Job>>, sealed: &SyncSender<Sealed>, keys: &Keys) {
    let mut zstd = zstd::bulk::Compressor::new(3).ok();
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let out = match zstd.as_mut().map(|z| z.compress(&job.plain)) {
            Some(Ok(compressed)) => Ok((job.id, job.kind, keys.seal(&compressed))),
            Some(Err(e)) => Err(format!("compressing blob {}: {e}", job.id)),
            None => Err("could not create a zstd compressor".into()),
        };
        if sealed.send(out).is_err() {
            return;
        }
    }
}

fn packer(
    sealed: Receiver<Sealed>,
    keys: &Keys,
    store: &dyn Store,
    version: u32,
    added_bytes: &AtomicU64,
) -> Result<Vec<(String, Location)>> {
    let mut placed = Vec::new();
    let mut buf = Vec::with_capacity(PACK_TARGET + (1 << 20));
    let mut entries: Vec<(String, Location)> = Vec::new();
    for blob in sealed {
        let (id, kind, bytes) = blob.map_err(|e| RepoError::Io(std::io::Error::other(e)))?;
        entries.push((
            id,
            Location {
                pack: String::new(),
                offset: buf.len() as u64,
                length: bytes.len() as u64,
                kind,
            },
        ));
        buf.extend_from_slice(&bytes);
        added_bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        if buf.len() >= PACK_TARGET {
            write_pack(keys, store, version, &mut buf, &mut entries, &mut placed)?;
        }
    }
    write_pack(keys, store, version, &mut buf, &mut entries, &mut placed)?;
    Ok(placed)
}

/// Writes `buf` as a pack with its header; moves `entries` to `placed` with the pack's id.
fn write_pack(
    keys: &Keys,
    store: &dyn Store,
    version: u32,
    buf: &mut Vec<u8>,
    entries: &mut Vec<(String, Location)>,
    placed: &mut Vec<(String, Location)>,
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let pack = random_id();
    let header: Vec<PackHeaderEntry> = entries
        .iter()
        .map(|(id, l)| PackHeaderEntry {
            id: id.clone(),
            kind: l.kind.clone(),
            offset: l.offset,
            length: l.length,
        })
        .collect();
    let sealed = keys.seal_meta(version, &serde_json::to_vec(&header).expect("serialises"));
    buf.extend(&sealed);
    buf.extend((sealed.len() as u32).to_le_bytes());
    store.write(&Repo::pack_name(&pack), buf)?;
    buf.clear();
    crate::prune::pause_point("pack-written");
    for (id, mut loc) in entries.drain(..) {
        loc.pack = pack.clone();
        placed.push((id, loc));
    }
    Ok(())
}

impl<'a> PackWriter<'a> {
    pub fn new(repo: &'a mut Repo) -> PackWriter<'a> {
        PackWriter {
            repo,
            pipeline: None,
            pending: HashSet::new(),
            added_bytes: Arc::new(AtomicU64::new(0)),
            added_blobs: 0,
            new_index: HashMap::new(),
        }
    }

    pub fn repo(&self) -> &Repo {
        self.repo
    }

    /// Bytes stored so far (compressed and encrypted blobs that reached the pack writer).
    pub fn added_bytes(&self) -> u64 {
        self.added_bytes.load(Ordering::Relaxed)
    }

    pub fn has(&self, id: &str) -> bool {
        self.repo.index.contains_key(id) || self.pending.contains(id)
    }

    /// Stores `plain` unless a blob with its id exists; returns the id.
    pub fn add(&mut self, kind: &str, plain: &[u8]) -> Result<String> {
        let id = self.repo.keys.blob_id(plain);
        if self.has(&id) {
            return Ok(id);
        }
        self.store(id, kind, plain)
    }

    /// Stores `plain` again even though the index knows it (`prune` moving a used blob out of
    /// a pack it deletes); the new place replaces the old one once the pack is written.
    pub fn rewrite(&mut self, kind: &str, plain: &[u8]) -> Result<String> {
        let id = self.repo.keys.blob_id(plain);
        if self.pending.contains(&id) {
            return Ok(id);
        }
        self.store(id, kind, plain)
    }

    fn store(&mut self, id: String, kind: &str, plain: &[u8]) -> Result<String> {
        let pipeline = self
            .pipeline
            .get_or_insert_with(|| Pipeline::start(self.repo, self.added_bytes.clone()));
        let job = Job {
            id: id.clone(),
            kind: kind.into(),
            plain: plain.to_vec(),
        };
        if pipeline.jobs.send(job).is_err() {
            // The pipeline stopped: its error says why.
            self.pending.insert(id);
            self.flush()?;
            return Err(RepoError::Io(std::io::Error::other(
                "the pack writer stopped",
            )));
        }
        self.pending.insert(id.clone());
        self.added_blobs += 1;
        Ok(id)
    }

    /// Writes every blob added so far into packs and makes them known.
    pub fn flush(&mut self) -> Result<()> {
        let Some(pipeline) = self.pipeline.take() else {
            return Ok(());
        };
        for (id, loc) in pipeline.finish()? {
            self.pending.remove(&id);
            self.repo.index.insert(id.clone(), loc.clone());
            self.new_index.insert(id, loc);
        }
        Ok(())
    }

    /// Flushes and writes the index of everything added.
    pub fn finish(mut self) -> Result<()> {
        self.flush()?;
        if !self.new_index.is_empty() {
            let sealed = self.repo.keys.seal_meta(
                self.repo.config.version,
                &serde_json::to_vec(&self.new_index).expect("serialises"),
            );
            self.repo
                .store
                .write(&format!("index/{}", random_id()), &sealed)?;
        }
        Ok(())
    }
}
