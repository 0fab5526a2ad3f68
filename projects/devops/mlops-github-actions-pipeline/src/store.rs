//! Where the registry lives: a folder, or `s3://BUCKET/PREFIX` (object_store's S3 client,
//! configured by the `AWS_*` variables like the lake). Small whole-file reads and writes.

use std::path::PathBuf;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::path::Path as ObjectPath;

pub enum Store {
    Folder(PathBuf),
    Bucket {
        url: String,
        store: Arc<dyn ObjectStore>,
        prefix: ObjectPath,
        runtime: tokio::runtime::Runtime,
    },
}

impl Store {
    /// Opens `root`: a path (relative to the repository under `portfolio up`) or an S3 URL.
    pub fn open(root: &str) -> anyhow::Result<Store> {
        let Some(url) = lake::parse_root(root)? else {
            return Ok(Store::Folder(PathBuf::from(lake::resolve(root))));
        };
        if url.scheme() == "file" {
            return Ok(Store::Folder(PathBuf::from(url.path())));
        }
        let bucket = url.host_str().unwrap_or_default();
        let store = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| anyhow::anyhow!("registry {root}: {e}"))?;
        Ok(Store::Bucket {
            url: root.to_string(),
            store: Arc::new(store),
            prefix: ObjectPath::from(url.path().trim_matches('/')),
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()?,
        })
    }

    pub fn describe(&self) -> String {
        match self {
            Store::Folder(p) => p.display().to_string(),
            Store::Bucket { url, .. } => url.clone(),
        }
    }

    fn key(prefix: &ObjectPath, rel: &str) -> ObjectPath {
        let mut parts: Vec<String> = prefix.parts().map(|p| p.as_ref().to_string()).collect();
        parts.extend(rel.split('/').map(str::to_string));
        ObjectPath::from(parts.join("/"))
    }

    /// The file `rel` (`late-task/v3/model.json`), `None` when absent.
    pub fn get(&self, rel: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match self {
            Store::Folder(root) => match std::fs::read(root.join(rel)) {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(anyhow::anyhow!("reading {}: {e}", root.join(rel).display())),
            },
            Store::Bucket {
                store,
                prefix,
                runtime,
                url,
            } => {
                use object_store::ObjectStoreExt as _;
                let key = Self::key(prefix, rel);
                runtime.block_on(async {
                    match store.get(&key).await {
                        Ok(r) => Ok(Some(r.bytes().await?.to_vec())),
                        Err(object_store::Error::NotFound { .. }) => Ok(None),
                        Err(e) => Err(anyhow::anyhow!("reading {url}/{rel}: {e}")),
                    }
                })
            }
        }
    }

    /// Writes `rel`, creating folders as needed.
    pub fn put(&self, rel: &str, bytes: &[u8]) -> anyhow::Result<()> {
        match self {
            Store::Folder(root) => {
                let path = root.join(rel);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
                }
                // Write beside, then rename: a reader never sees half a file.
                let tmp = path.with_extension("tmp");
                std::fs::write(&tmp, bytes)
                    .and_then(|()| std::fs::rename(&tmp, &path))
                    .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
            }
            Store::Bucket {
                store,
                prefix,
                runtime,
                url,
            } => {
                use object_store::ObjectStoreExt as _;
                let key = Self::key(prefix, rel);
                runtime
                    .block_on(store.put(&key, bytes.to_vec().into()))
                    .map(|_| ())
                    .map_err(|e| anyhow::anyhow!("writing {url}/{rel}: {e}"))
            }
        }
    }

    /// The names directly under `rel` (files and folders).
    pub fn list(&self, rel: &str) -> anyhow::Result<Vec<String>> {
        match self {
            Store::Folder(root) => {
                let dir = root.join(rel);
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    return Ok(vec![]);
                };
                let mut out: Vec<String> = entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                out.sort();
                Ok(out)
            }
            Store::Bucket {
                store,
                prefix,
                runtime,
                url,
            } => {
                let key = Self::key(prefix, rel);
                let listing = runtime
                    .block_on(store.list_with_delimiter(Some(&key)))
                    .map_err(|e| anyhow::anyhow!("listing {url}/{rel}: {e}"))?;
                let mut out: Vec<String> = listing
                    .common_prefixes
                    .iter()
                    .chain(listing.objects.iter().map(|o| &o.location))
                    .filter_map(|p| p.filename().map(str::to_string))
                    .collect();
                out.sort();
                Ok(out)
            }
        }
    }
}
