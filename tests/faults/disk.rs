//! A small tmpfs that a test can fill to the last byte and free again.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use crate::support::is_root;

pub struct SmallDisk {
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts a tmpfs of `megabytes` MiB; `Err` says why it cannot (mounting needs root).
    pub fn mount(megabytes: u32) -> Result<Self, String> {
        if !is_root() {
            return Err("mounting a small tmpfs needs root".into());
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).map_err(|e| e.to_string())?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m,mode=0777")])
            .arg("tmpfs")
            .arg(&path)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "mount -t tmpfs failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(Self { path, _dir: dir })
    }

    /// Writes a file until the disk refuses more; deleting it frees the space again.
    pub fn fill(&self) -> Filler {
        let path = self.path.join("filler");
        let mut file = std::fs::File::create(&path).expect("create the filler file");
        let block = vec![0xa5u8; 64 * 1024];
        let mut size = block.len();
        // Smaller and smaller writes take the last bytes too.
        while size > 0 {
            match file.write(&block[..size]) {
                Ok(0) => size /= 2,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(28) => size /= 2,
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
        let _ = file.sync_all();
        Filler { path }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazily, in case a process still holds a file there.
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// The file that fills the disk.
pub struct Filler {
    path: PathBuf,
}

impl Filler {
    pub fn free(self) {
        std::fs::remove_file(&self.path).expect("delete the filler file");
    }
}
