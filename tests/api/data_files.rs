//! The embedded store's files on disk: the data directory, the SQLite database with its WAL
//! and shared-memory files, and the encryption key file are all created owner-only.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::harness::{Backend, TestApp, fresh_data_dir, settings_for};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_directory_and_its_files_are_owner_only() {
    let _guard = crate::cleanup::TestGuard::new();
    let mut settings = settings_for(Backend::Sqlite).await;
    // A directory that does not exist yet, so the server creates it.
    let dir = fresh_data_dir().join("data");
    settings.data_dir = dir.clone();
    let app = TestApp::spawn_with(settings).await;
    // A write, so the WAL has content.
    app.customer(&[("name", "Jenny Rosen")]).await;
    assert_eq!(mode(&dir), 0o700, "data directory");
    for file in ["sandbank.db", "sandbank.db-wal", "sandbank.db-shm", "encryption.key"] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
}
