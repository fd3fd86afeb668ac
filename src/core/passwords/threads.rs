//! The threads that compute password hashes, one per allowed concurrent hash, each at a lower
//! scheduling priority: hashing then takes whatever CPU time is spare, up to every core, but a
//! burst of logins cannot delay the session checks that most requests are. Each keeps its
//! Argon2 memory between hashes (see [`super::memory`]) until it has been idle a while.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use argon2::Params;
use flume::{Receiver, RecvTimeoutError, Sender};
use thread_priority::{ThreadPriority, ThreadPriorityValue};

use super::{PasswordError, memory};

type Job = Box<dyn FnOnce() + Send>;

/// Nice 10 (this crate maps 0–99 onto nice 19…-20): a runnable thread at nice 0 gets about
/// nine tenths of a contended core, not all of it, so logins still progress under load.
const HASHING_PRIORITY: u8 = 22;

/// How long a hashing thread keeps its Argon2 memory with no work: long enough to carry it
/// through a burst of logins, short enough that an idle server gives it back.
const KEEP_MEMORY: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct HashThreads {
    jobs: Sender<Job>,
}

impl HashThreads {
    /// Starts `count` threads, which keep the memory of hashes up to the cost of `params`;
    /// they end when the last clone of this is dropped.
    pub fn start(count: usize, params: &Params) -> Self {
        let (jobs, queue) = flume::unbounded::<Job>();
        for _ in 0..count.max(1) {
            let queue = queue.clone();
            let params = params.clone();
            // A thread that cannot be spawned leaves the others to do the work.
            let _ = std::thread::Builder::new()
                .name("latch-hash".into())
                .spawn(move || run(&queue, &params));
        }
        Self { jobs }
    }

    /// Runs `work` on a hashing thread and waits for it without blocking the runtime.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<T, PasswordError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(work));
            let _ = done.send(outcome);
        });
        let stopped = || PasswordError::Hashing("the hashing threads have stopped".into());
        self.jobs.send(job).map_err(|_| stopped())?;
        match result.await.map_err(|_| stopped())? {
            Ok(outcome) => outcome,
            Err(_) => Err(PasswordError::Hashing("password hashing panicked".into())),
        }
    }
}

fn run(queue: &Receiver<Job>, params: &Params) {
    if let Ok(value) = ThreadPriorityValue::try_from(HASHING_PRIORITY) {
        // Where the priority cannot be lowered (some sandboxes), hashing runs at the normal
        // one, as it would on tokio's blocking threads.
        let _ = thread_priority::set_current_thread_priority(ThreadPriority::Crossplatform(value));
    }
    memory::keep_up_to(params);
    let mut holding_memory = false;
    loop {
        let job = if holding_memory {
            match queue.recv_timeout(KEEP_MEMORY) {
                Ok(job) => job,
                Err(RecvTimeoutError::Timeout) => {
                    memory::release();
                    holding_memory = false;
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        } else {
            match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        job();
        holding_memory = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_hash_is_an_error_and_the_threads_go_on() {
        let threads = HashThreads::start(1, &Params::DEFAULT);
        let failed: Result<(), _> = threads.run(|| panic!("hashing went wrong")).await;
        assert!(matches!(failed, Err(PasswordError::Hashing(_))));
        assert_eq!(threads.run(|| Ok(7)).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn work_runs_on_the_hashing_threads() {
        let threads = HashThreads::start(2, &Params::DEFAULT);
        let name = threads
            .run(|| Ok(std::thread::current().name().map(str::to_string)))
            .await
            .unwrap();
        assert_eq!(name.as_deref(), Some("latch-hash"));
    }
}
