//! The store's read cache: tasks by id and memberships, in process (moka) by default, or in
//! Redis when the application asks for it ([`crate::Store::with_redis`], feature `redis`), so
//! several instances share one cache and a write invalidates it for all of them at once.
//!
//! Entries live at most a minute, which bounds staleness if an invalidation is missed. A cache
//! never decides an answer: a Redis error is logged and treated as a miss, so a Redis outage
//! costs latency, not availability.

use std::time::Duration;

use uuid::Uuid;

use crate::store::Task;
use crate::types::Role;

const TTL: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub(crate) enum ReadCache {
    Local(Local),
    #[cfg(feature = "redis")]
    Redis(redis_cache::RedisCache),
}

#[derive(Clone)]
pub(crate) struct Local {
    tasks: moka::sync::Cache<Uuid, Task>,
    roles: moka::sync::Cache<(Uuid, Uuid), Role>,
}

impl ReadCache {
    pub(crate) fn local() -> ReadCache {
        ReadCache::Local(Local {
            tasks: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(TTL)
                .build(),
            roles: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(TTL)
                .support_invalidation_closures()
                .build(),
        })
    }

    /// `"local"` or `"redis"`, for readiness reports.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            ReadCache::Local(_) => "local",
            #[cfg(feature = "redis")]
            ReadCache::Redis(_) => "redis",
        }
    }

    pub(crate) async fn task(&self, id: Uuid) -> Option<Task> {
        match self {
            ReadCache::Local(l) => l.tasks.get(&id),
            #[cfg(feature = "redis")]
            ReadCache::Redis(r) => r.get(&r.task_key(id)).await,
        }
    }

    pub(crate) async fn put_task(&self, task: &Task) {
        match self {
            ReadCache::Local(l) => l.tasks.insert(task.id, task.clone()),
            #[cfg(feature = "redis")]
            ReadCache::Redis(r) => r.put(&r.task_key(task.id), task).await,
        }
    }

    pub(crate) async fn forget_task(&self, id: Uuid) {
        match self {
            ReadCache::Local(l) => l.tasks.invalidate(&id),
            #[cfg(feature = "redis")]
            ReadCache::Redis(r) => r.forget(vec![r.task_key(id)]).await,
        }
    }

    pub(crate) async fn role(&self, project_id: Uuid, user_id: Uuid) -> Option<Role> {
        match self {
            ReadCache::Local(l) => l.roles.get(&(project_id, user_id)),
            #[cfg(feature = "redis")]
            ReadCache::Redis(r) => r.get(&r.role_key(project_id, user_id)).await,
        }
    }

    pub(crate) async fn put_role(&self, project_id: Uuid, user_id: Uuid, role: Role) {
        match self {
            ReadCache::Local(l) => l.roles.insert((project_id, user_id), role),
            #[cfg(feature = "redis")]
            ReadCache::Redis(r) => r.put(&r.role_key(project_id, user_id), &role).await,
        }
    }

    pub(crate) async fn forget_role(&self, project_id: Uuid, user_id: Uuid) {
        match self {
            ReadCache::Local(l) => l.roles.invalidate(&(project_id, user_id)),
            #[cfg(feature = "redis")]
            ReadCache::Redis(r) => r.forget(vec![r.role_key(project_id, user_id)]).await,
        }
    }

    /// A deleted project: every membership in it. Its tasks' entries may stay until they
    /// expire: reading one checks the (now absent) membership first.
    pub(crate) async fn forget_project(&self, project_id: Uuid) {
        match self {
            ReadCache::Local(l) => {
                let gone = l
                    .roles
                    .invalidate_entries_if(move |(project, _), _| *project == project_id);
                if gone.is_err() {
                    l.roles.invalidate_all();
                }
            }
            #[cfg(feature = "redis")]
            ReadCache::Redis(r) => r.forget_pattern(&r.role_key_pattern(project_id)).await,
        }
    }
}

#[cfg(feature = "redis")]
pub(crate) mod redis_cache {
    use redis::AsyncCommands;
    use redis::aio::{ConnectionManager, ConnectionManagerConfig};
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use uuid::Uuid;

    use super::TTL;

    #[derive(Clone)]
    pub(crate) struct RedisCache {
        conn: ConnectionManager,
        prefix: String,
    }

    impl RedisCache {
        /// Connects (and fails now, with the reason, when Redis cannot be reached). Keys are
        /// `{prefix}task:{id}` and `{prefix}role:{project}:{user}`.
        pub(crate) async fn connect(url: &str, prefix: &str) -> redis::RedisResult<RedisCache> {
            let client = redis::Client::open(url)?;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(std::time::Duration::from_secs(2)))
                .set_response_timeout(Some(std::time::Duration::from_millis(500)))
                .set_number_of_retries(1);
            let mut conn = ConnectionManager::new_with_config(client, config).await?;
            let _: String = redis::cmd("PING").query_async(&mut conn).await?;
            Ok(RedisCache {
                conn,
                prefix: prefix.to_string(),
            })
        }

        pub(crate) fn task_key(&self, id: Uuid) -> String {
            format!("{}task:{id}", self.prefix)
        }

        pub(crate) fn role_key(&self, project_id: Uuid, user_id: Uuid) -> String {
            format!("{}role:{project_id}:{user_id}", self.prefix)
        }

        pub(crate) fn role_key_pattern(&self, project_id: Uuid) -> String {
            format!("{}role:{project_id}:*", self.prefix)
        }

        pub(crate) async fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
            let mut conn = self.conn.clone();
            match conn.get::<_, Option<Vec<u8>>>(key).await {
                Ok(value) => value.and_then(|v| serde_json::from_slice(&v).ok()),
                Err(e) => {
                    tracing::warn!(error = %e, key, "redis cache read failed; reading the database");
                    None
                }
            }
        }

        pub(crate) async fn put<T: Serialize>(&self, key: &str, value: &T) {
            let Ok(bytes) = serde_json::to_vec(value) else {
                return;
            };
            let mut conn = self.conn.clone();
            if let Err(e) = conn.set_ex::<_, _, ()>(key, bytes, TTL.as_secs()).await {
                tracing::warn!(error = %e, key, "redis cache write failed");
            }
        }

        pub(crate) async fn forget(&self, keys: Vec<String>) {
            let mut conn = self.conn.clone();
            if let Err(e) = conn.del::<_, ()>(&keys).await {
                tracing::warn!(error = %e, ?keys, "redis cache invalidation failed; entries expire within a minute");
            }
        }

        pub(crate) async fn forget_pattern(&self, pattern: &str) {
            let mut conn = self.conn.clone();
            let mut keys = Vec::new();
            match conn.scan_match::<_, String>(pattern).await {
                Ok(mut iter) => {
                    while let Some(key) = iter.next_item().await {
                        match key {
                            Ok(key) => keys.push(key),
                            Err(e) => {
                                tracing::warn!(error = %e, pattern, "redis cache scan failed");
                                break;
                            }
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, pattern, "redis cache scan failed; entries expire within a minute");
                    return;
                }
            }
            if !keys.is_empty() {
                self.forget(keys).await;
            }
        }
    }
}
