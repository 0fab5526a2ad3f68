//! Where a repository lives: a local folder (the default) or S3-compatible object storage
//! (`s3://BUCKET/PREFIX`, through `object_store`'s S3 client).
//!
//! A repository is a set of named objects (`config`, `keys/<id>`, `data/<2 hex>/<pack>`,
//! `index/<id>`, `snapshots/<id>`, `locks/<id>`) that are written once, whole, and never
//! changed: that is all a [`Store`] offers. A local write goes through a temporary file and a
//! rename; an S3 PUT is atomic by itself.
//!
//! S3 settings come from the environment, as with the AWS tools: `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` (or `AWS_DEFAULT_REGION`),
//! `AWS_ENDPOINT_URL` for an S3-compatible server other than AWS (MinIO, Ceph, moto) and
//! `AWS_ALLOW_HTTP=true` when that endpoint is plain HTTP.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An object of a store: its name relative to the folder listed, and its size.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub len: u64,
}

pub trait Store: Send + Sync {
    /// The folder or URL, for messages.
    fn location(&self) -> String;
    /// The whole object; a missing one is an error of kind `NotFound`.
    fn read(&self, name: &str) -> io::Result<Vec<u8>>;
    /// `len` bytes from `offset`.
    fn read_range(&self, name: &str, offset: u64, len: u64) -> io::Result<Vec<u8>>;
    /// Writes a whole object: readers see all of it or none of it.
    fn write(&self, name: &str, bytes: &[u8]) -> io::Result<()>;
    /// Removes an object; one that is already gone is not an error.
    fn remove(&self, name: &str) -> io::Result<()>;
    /// Every object below `dir` (at any depth), named relative to it; a folder that does not
    /// exist is empty.
    fn list(&self, dir: &str) -> io::Result<Vec<Entry>>;
    fn exists(&self, name: &str) -> io::Result<bool>;
    /// Whether the store holds nothing at all (a target `copy` may create a replica in).
    fn is_empty(&self) -> io::Result<bool>;
    /// Creates what a new repository needs before its first object (local folders).
    fn prepare(&self) -> io::Result<()> {
        Ok(())
    }
    /// Whether `location` names this store (a local folder by any path to it, a URL exactly).
    fn same_as(&self, other: &dyn Store) -> bool {
        self.location() == other.location()
    }
}

/// Opens the store `location` names: `s3://BUCKET[/PREFIX]`, or a local folder (which need not
/// exist yet). Other URL schemes are refused.
pub fn open(location: &str) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(rest) = location.strip_prefix("s3://") {
        return Ok(Arc::new(S3::new(location, rest)?));
    }
    if let Some((scheme, _)) = location.split_once("://") {
        anyhow::bail!(
            "{location}: unsupported repository scheme {scheme}:// (a local folder or s3://BUCKET/PREFIX)"
        );
    }
    anyhow::ensure!(!location.is_empty(), "the repository location is empty");
    Ok(Arc::new(Local::new(Path::new(location))))
}

/// A repository in a local folder.
pub struct Local {
    root: PathBuf,
}

impl Local {
    pub fn new(root: &Path) -> Local {
        Local {
            root: root.to_path_buf(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Store for Local {
    fn location(&self) -> String {
        self.root
            .canonicalize()
            .unwrap_or_else(|_| self.root.clone())
            .display()
            .to_string()
    }

    fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.root.join(name))
    }

    fn read_range(&self, name: &str, offset: u64, len: u64) -> io::Result<Vec<u8>> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = std::fs::File::open(self.root.join(name))?;
        f.seek(SeekFrom::Start(offset))?;
        let mut out = Vec::with_capacity(len as usize);
        f.take(len).read_to_end(&mut out)?;
        if out.len() as u64 != len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{name} ends before byte {}", offset + len),
            ));
        }
        Ok(out)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        crate::repo::write_atomic(&self.root.join(name), bytes).map_err(|e| match e {
            crate::repo::RepoError::Io(e) => e,
            other => io::Error::other(other.to_string()),
        })
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        match std::fs::remove_file(self.root.join(name)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    fn list(&self, dir: &str) -> io::Result<Vec<Entry>> {
        fn walk(base: &Path, rel: &str, out: &mut Vec<Entry>) -> io::Result<()> {
            let entries = match std::fs::read_dir(base.join(rel)) {
                Ok(e) => e,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e),
            };
            for e in entries {
                let e = e?;
                let name = e.file_name().to_string_lossy().to_string();
                let rel = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                let m = e.metadata()?;
                if m.is_dir() {
                    walk(base, &rel, out)?;
                } else {
                    out.push(Entry {
                        name: rel,
                        len: m.len(),
                    });
                }
            }
            Ok(())
        }
        let mut out = Vec::new();
        walk(&self.root.join(dir), "", &mut out)?;
        Ok(out)
    }

    fn exists(&self, name: &str) -> io::Result<bool> {
        Ok(self.root.join(name).exists())
    }

    fn is_empty(&self) -> io::Result<bool> {
        match std::fs::read_dir(&self.root) {
            Ok(mut e) => Ok(e.next().is_none()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
            Err(e) => Err(e),
        }
    }

    fn prepare(&self) -> io::Result<()> {
        for d in ["data", "index", "snapshots", "keys", "locks"] {
            std::fs::create_dir_all(self.root.join(d))?;
        }
        Ok(())
    }
}

/// A repository under a prefix of an S3 bucket.
pub struct S3 {
    url: String,
    prefix: String,
    store: object_store::aws::AmazonS3,
    rt: tokio::runtime::Runtime,
}

fn io_err(e: object_store::Error) -> io::Error {
    match e {
        object_store::Error::NotFound { path, .. } => {
            io::Error::new(io::ErrorKind::NotFound, format!("{path}: not found"))
        }
        other => io::Error::other(other.to_string()),
    }
}

impl S3 {
    fn new(url: &str, rest: &str) -> anyhow::Result<S3> {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        anyhow::ensure!(!bucket.is_empty(), "{url}: no bucket (s3://BUCKET/PREFIX)");
        let store = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        Ok(S3 {
            url: url.trim_end_matches('/').to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            store,
            rt,
        })
    }

    fn key(&self, name: &str) -> object_store::path::Path {
        let name = name.trim_matches('/');
        object_store::path::Path::from(match (self.prefix.is_empty(), name.is_empty()) {
            (true, _) => name.to_string(),
            (false, true) => self.prefix.clone(),
            (false, false) => format!("{}/{name}", self.prefix),
        })
    }

    fn wrap<T>(&self, name: &str, r: io::Result<T>) -> io::Result<T> {
        r.map_err(|e| io::Error::new(e.kind(), format!("{}/{name}: {e}", self.url)))
    }
}

impl Store for S3 {
    fn location(&self) -> String {
        self.url.clone()
    }

    fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        use object_store::ObjectStoreExt as _;
        let key = self.key(name);
        let r = self.rt.block_on(async {
            let got = self.store.get(&key).await.map_err(io_err)?;
            got.bytes().await.map(|b| b.to_vec()).map_err(io_err)
        });
        self.wrap(name, r)
    }

    fn read_range(&self, name: &str, offset: u64, len: u64) -> io::Result<Vec<u8>> {
        use object_store::ObjectStoreExt as _;
        let key = self.key(name);
        let r = self.rt.block_on(async {
            self.store
                .get_range(&key, offset..offset + len)
                .await
                .map(|b| b.to_vec())
                .map_err(io_err)
        });
        let r = r.and_then(|b| {
            if b.len() as u64 == len {
                Ok(b)
            } else {
                Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("ends before byte {}", offset + len),
                ))
            }
        });
        self.wrap(name, r)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        use object_store::ObjectStoreExt as _;
        let key = self.key(name);
        let payload = object_store::PutPayload::from(bytes.to_vec());
        let r = self.rt.block_on(async {
            match self.store.put(&key, payload).await {
                Ok(_) => Ok(()),
                // A PUT finds nothing missing but the bucket.
                Err(object_store::Error::NotFound { .. }) => Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    "the bucket does not exist (create it first)",
                )),
                Err(e) => Err(io_err(e)),
            }
        });
        self.wrap(name, r)
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        use object_store::ObjectStoreExt as _;
        let key = self.key(name);
        let r = self.rt.block_on(async {
            match self.store.delete(&key).await {
                Err(object_store::Error::NotFound { .. }) => Ok(()),
                other => other.map_err(io_err),
            }
        });
        self.wrap(name, r)
    }

    fn list(&self, dir: &str) -> io::Result<Vec<Entry>> {
        use futures_util::StreamExt as _;
        use object_store::ObjectStore as _;
        let base = self.key(dir);
        let strip = format!("{base}/");
        let r = self.rt.block_on(async {
            let mut out = Vec::new();
            let mut stream = self.store.list(Some(&base));
            while let Some(meta) = stream.next().await {
                let meta = meta.map_err(io_err)?;
                let full = meta.location.to_string();
                let name = if base.as_ref().is_empty() {
                    full
                } else {
                    full.strip_prefix(&strip).unwrap_or(&full).to_string()
                };
                out.push(Entry {
                    name,
                    len: meta.size,
                });
            }
            Ok(out)
        });
        self.wrap(dir, r)
    }

    fn exists(&self, name: &str) -> io::Result<bool> {
        use object_store::ObjectStoreExt as _;
        let key = self.key(name);
        let r = self.rt.block_on(async {
            match self.store.head(&key).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(io_err(e)),
            }
        });
        self.wrap(name, r)
    }

    fn is_empty(&self) -> io::Result<bool> {
        use futures_util::StreamExt as _;
        use object_store::ObjectStore as _;
        let base = self.key("");
        let r = self.rt.block_on(async {
            let prefix = (!base.as_ref().is_empty()).then_some(&base);
            match self.store.list(prefix).next().await {
                None => Ok(true),
                Some(Ok(_)) => Ok(false),
                Some(Err(e)) => Err(io_err(e)),
            }
        });
        self.wrap("", r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_parsed_and_refused_clearly() {
        assert!(open("/tmp/some/repo").is_ok());
        let err = open("gs://bucket/x").err().unwrap().to_string();
        assert!(err.contains("unsupported repository scheme gs://"), "{err}");
        let err = open("s3:///prefix").err().unwrap().to_string();
        assert!(err.contains("no bucket"), "{err}");
        let s3 = open("s3://bucket/some/prefix/").unwrap();
        assert_eq!(s3.location(), "s3://bucket/some/prefix");
    }

    #[test]
    fn a_local_store_lists_nested_objects_and_missing_folders_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let store = Local::new(&dir.path().join("repo"));
        assert!(store.is_empty().unwrap());
        assert!(store.list("data").unwrap().is_empty());
        store.write("data/ab/abcd", b"12345").unwrap();
        store.write("index/x", b"1").unwrap();
        let data = store.list("data").unwrap();
        assert_eq!(data.len(), 1);
        assert_eq!((data[0].name.as_str(), data[0].len), ("ab/abcd", 5));
        assert_eq!(store.read_range("data/ab/abcd", 1, 3).unwrap(), b"234");
        let err = store.read_range("data/ab/abcd", 3, 3).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        store.remove("data/ab/abcd").unwrap();
        store.remove("data/ab/abcd").unwrap();
        assert!(!store.exists("data/ab/abcd").unwrap());
        assert!(!store.is_empty().unwrap());
    }
}
