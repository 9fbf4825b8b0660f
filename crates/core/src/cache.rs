//! Caches of database rows that follow changes made anywhere. Each cached value belongs to
//! a project; when the database announces a change to that project's rows
//! ([`feedbackd_store::notify`]), its entries are forgotten at once, in every process. The time
//! to live is the fallback for when announcements cannot arrive (the listener's connection
//! is down), and bounds how stale a value can be then.

use feedbackd_store::notify::{Change, Event, Listener, Table};
use moka::sync::Cache;
use secrecy::SecretString;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// A bounded, expiring cache of values read from `tables`, forgotten per project when
/// those tables change. Clones share the entries.
#[derive(Clone)]
pub struct ProjectCache<K, V> {
    cache: Cache<K, V>,
    /// Counts invalidations, so that a value read before one and stored after it is not
    /// kept (see [`ProjectCache::get_or_load`]).
    epoch: Arc<AtomicU64>,
    tables: &'static [Table],
    /// The project a value belongs to; `None` when that is not known (an unknown token),
    /// and then a change to any project forgets it.
    project_of: fn(&K, &V) -> Option<Uuid>,
}

impl<K, V> ProjectCache<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// A cache of at most `capacity` values, each kept at most `ttl` (zero: nothing is kept).
    pub fn new(
        capacity: u64,
        ttl: Duration,
        tables: &'static [Table],
        project_of: fn(&K, &V) -> Option<Uuid>,
    ) -> Self {
        let cache = Cache::builder()
            .max_capacity(if ttl.is_zero() { 0 } else { capacity })
            .time_to_live(ttl.max(Duration::from_millis(1)))
            .support_invalidation_closures()
            .build();
        ProjectCache { cache, epoch: Arc::new(AtomicU64::new(0)), tables, project_of }
    }

    /// The cached value of `key`, or the one `load` reads (then cached).
    pub async fn get_or_load<E, Fut>(&self, key: K, load: impl FnOnce() -> Fut) -> Result<V, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some(hit) = self.cache.get(&key) {
            return Ok(hit);
        }
        let epoch = self.epoch.load(Ordering::SeqCst);
        let value = load().await?;
        self.cache.insert(key.clone(), value.clone());
        // A change announced while the value was read may have been applied before the
        // insert, and so not to it: the value may predate the change, so it is not kept.
        // One announced after this check is applied after the insert, and covers it.
        if self.epoch.load(Ordering::SeqCst) != epoch {
            self.cache.invalidate(&key);
        }
        Ok(value)
    }

    /// Forgets one value that its owner found out of date.
    pub fn forget(&self, key: &K) {
        self.cache.invalidate(key);
    }

    /// Forgets the values of `project` (and those of no known project).
    pub fn forget_project(&self, project: Uuid) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let project_of = self.project_of;
        let forgotten =
            self.cache.invalidate_entries_if(move |k, v| project_of(k, v).map_or(true, |p| p == project));
        if forgotten.is_err() {
            // Only if the cache was built without closures, which `new` never does.
            self.cache.invalidate_all();
        }
    }

    /// Forgets every value.
    pub fn forget_all(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.cache.invalidate_all();
    }
}

/// A cache that follows what the listener reports.
pub trait Subscriber: Send + Sync {
    /// Forgets what `event` makes stale.
    fn apply(&self, event: Event);
}

impl<K, V> Subscriber for ProjectCache<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn apply(&self, event: Event) {
        match event {
            Event::Changed(Change { table, .. }) if !self.tables.contains(&table) => {}
            Event::Changed(Change { project: Some(project), .. }) => self.forget_project(project),
            Event::Changed(Change { project: None, .. }) | Event::Resync => self.forget_all(),
        }
    }
}

/// The caches of one process that follow the database, fed by one [`Listener`].
#[derive(Default)]
pub struct CacheBus {
    subscribers: Vec<Box<dyn Subscriber>>,
}

impl CacheBus {
    /// Adds a cache.
    pub fn subscribe(mut self, subscriber: Box<dyn Subscriber>) -> Self {
        self.subscribers.push(subscriber);
        self
    }

    /// Listens to the database at `url` and hands every event to every cache.
    pub fn listen(self, url: SecretString) -> Listener {
        Listener::start(url, move |event| {
            let table = match event {
                Event::Changed(Change { table, .. }) => table.as_str(),
                Event::Resync => "all",
            };
            metrics::counter!("feedbackd_cache_invalidations_total", "table" => table).increment(1);
            self.subscribers.iter().for_each(|s| s.apply(event));
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> ProjectCache<(Uuid, u8), u8> {
        ProjectCache::new(100, Duration::from_secs(60), &[Table::Surveys], |k, _| Some(k.0))
    }

    async fn fill(cache: &ProjectCache<(Uuid, u8), u8>, key: (Uuid, u8), value: u8) -> u8 {
        cache.get_or_load(key, || async { Ok::<_, ()>(value) }).await.unwrap()
    }

    #[tokio::test]
    async fn a_change_forgets_only_its_projects_values_of_its_tables() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let cache = cache();
        fill(&cache, (a, 1), 1).await;
        fill(&cache, (b, 1), 1).await;
        cache.apply(Event::Changed(Change { table: Table::ApiKeys, project: Some(a) }));
        assert_eq!(fill(&cache, (a, 1), 2).await, 1, "another table's change keeps it");
        cache.apply(Event::Changed(Change { table: Table::Surveys, project: Some(a) }));
        assert_eq!(fill(&cache, (a, 1), 2).await, 2, "read again");
        assert_eq!(fill(&cache, (b, 1), 2).await, 1, "another project's value is kept");
        cache.apply(Event::Resync);
        assert_eq!(fill(&cache, (b, 1), 3).await, 3);
    }

    #[tokio::test]
    async fn a_value_read_across_a_change_is_not_kept() {
        let project = Uuid::now_v7();
        let cache = cache();
        let read = cache
            .get_or_load((project, 1), || async {
                // The change is announced while the old value is on its way.
                cache.apply(Event::Changed(Change { table: Table::Surveys, project: Some(project) }));
                Ok::<_, ()>(1)
            })
            .await;
        assert_eq!(read, Ok(1));
        assert_eq!(fill(&cache, (project, 1), 2).await, 2, "the stale value was not cached");
    }
}
