//! The fault suite: the real `latch` binary killed, stopped, starved of disk, cut off from
//! PostgreSQL and fed by slow clients, each fault provoked for real. Tests that need what the
//! machine lacks (root for `mount`, PostgreSQL's server binaries) print `SKIPPED: …` and pass,
//! except under CI (`LATCH_CI=1`, or `CI=true`), where they fail.

mod crash;
mod dialects;
mod disk;
mod drain;
mod full_disk;
mod outage;
mod postgres;
mod slow_clients;
mod sqlite_faults;
mod support;
