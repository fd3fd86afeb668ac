#![forbid(unsafe_code)]

// glibc's allocator keeps each thread's freed Argon2 blocks (19 MiB apiece) in that thread's
// arena, so a burst of logins grew the server by hundreds of megabytes that it never gave back;
// mimalloc returns large blocks to the system, and is faster for the many small allocations
// of each request.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    latch::cli::run()
}
