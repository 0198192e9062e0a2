//! The one mechanism for work that outlives a request: a persisted job per
//! piece of work (`storage::jobs`), taken with a lease, so that several
//! Slipway instances on one database share the work and a job whose holder
//! died (SIGKILL, a lost machine) is taken over when its lease lapses.
//!
//! Its users, by kind:
//! - `deployment` (`crate::deployments::runner`): drives a deployment;
//!   holds the lease for as long as the adapter and checks run, renewing it.
//! - `email` (`crate::notifications`): one attempt to send a notification
//!   e-mail; a failed attempt gives the job back to run again later
//!   (1, 2, 4, 8, 16 minutes), a sent or abandoned one finishes it.
//!
//! A job is enqueued in the same transaction as the change that asks for
//! it, so it exists exactly when the change does.

use crate::storage::jobs as store;
use crate::{ServiceError, Services};
use std::sync::Arc;

/// What a runner holds while it works on a job.
#[derive(Debug, Clone)]
pub struct Lease {
    pub job: i64,
    pub subject: i64,
    /// The job had a holder before whose lease lapsed (it stopped mid-way).
    pub taken_over: bool,
    owner: Arc<str>,
}

/// A runner's identity for leases (one per runner, random).
pub fn owner() -> Arc<str> {
    let (id, _) = crate::tokens::generate();
    Arc::from(id.get(..16).unwrap_or(&id))
}

pub struct Jobs<'a> {
    pub(crate) services: &'a Services,
}

impl Services {
    pub fn jobs(&self) -> Jobs<'_> {
        Jobs { services: self }
    }
}

impl Jobs<'_> {
    /// Takes due jobs of `kind` (at most `limit`) for `lease_ms`; those
    /// another runner holds are skipped.
    pub async fn take_due(
        &self,
        kind: &str,
        owner: &Arc<str>,
        lease_ms: i64,
        limit: i64,
        skip: impl Fn(i64) -> bool,
    ) -> Result<Vec<Lease>, ServiceError> {
        let now = self.services.clock.now_ms();
        let mut conn = self.services.store.pool().acquire().await?;
        let due = store::due(&mut conn, kind, now, limit).await?;
        let mut taken = Vec::new();
        for job in due {
            if skip(job.id) {
                continue;
            }
            if store::lease(&mut conn, job.id, owner, now, now + lease_ms).await? {
                taken.push(Lease {
                    job: job.id,
                    subject: job.subject_id,
                    taken_over: job.lease_owner.is_some(),
                    owner: owner.clone(),
                });
            }
        }
        Ok(taken)
    }

    /// Extends a lease; false when it was lost (another runner took over).
    pub async fn renew(&self, lease: &Lease, lease_ms: i64) -> Result<bool, ServiceError> {
        let until = self.services.clock.now_ms() + lease_ms;
        let mut conn = self.services.store.pool().acquire().await?;
        Ok(store::renew(&mut conn, lease.job, &lease.owner, until).await?)
    }

    /// The work is done (or given up for good).
    pub async fn finish(&self, lease: &Lease) -> Result<(), ServiceError> {
        let now = self.services.clock.now_ms();
        let mut conn = self.services.store.pool().acquire().await?;
        store::finish(&mut conn, lease.job, &lease.owner, now).await?;
        Ok(())
    }

    /// Gives the job back to run again at `run_at` (a retry, or waiting for
    /// its turn), with a note of why.
    pub async fn retry_at(
        &self,
        lease: &Lease,
        run_at: i64,
        note: Option<&str>,
    ) -> Result<(), ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        store::release(&mut conn, lease.job, &lease.owner, run_at, note).await?;
        Ok(())
    }
}
