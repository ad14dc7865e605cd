//! The reload thread: watches the configuration file, the plugin files and directories and
//! the rule files
//! (the `notify` crate), waits until they have been quiet for `reload.debounce_ms` (so a
//! file still being written is not read half-way; a half-written file that is read anyway
//! is refused, and the final write triggers another reload), and reloads. SIGHUP reloads at
//! once. Compilation happens on this thread, one plugin at a time, so the workers keep
//! their cores.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

use super::builder::Reloader;

/// Stops the reload thread when dropped.
pub struct WatchHandle {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The directories to watch: the configuration file's, each plugin file's, each
/// directory stage's, each lookup table's. Directories rather than files, so atomic replacements (write a
/// temporary file, rename it over) are seen.
/// Rule directories are watched with their subdirectories (`true`).
fn watched_dirs(reloader: &Reloader) -> BTreeSet<(PathBuf, bool)> {
    let mut dirs = BTreeSet::new();
    let parent = |p: &Path| p.parent().map(Path::to_path_buf);
    if let Some(dir) = reloader.config_path().and_then(parent) {
        dirs.insert((dir, false));
    }
    for stage in &reloader.settings().pipeline {
        dirs.extend(stage.plugin.as_deref().and_then(parent).map(|d| (d, false)));
        dirs.extend(stage.directory.clone().map(|d| (d, false)));
        for rules in &stage.rules {
            dirs.insert(if rules.is_dir() { (rules.clone(), true) } else { (parent(rules).unwrap_or_default(), false) });
        }
    }
    for table in reloader.table_paths() {
        dirs.extend(parent(table).map(|d| (d, false)));
    }
    dirs.into_iter().map(|(d, r)| (if d.as_os_str().is_empty() { PathBuf::from(".") } else { d }, r)).collect()
}

/// Starts the reload thread. With `reload.watch = false` only SIGHUP triggers a reload.
pub fn watch(mut reloader: Reloader) -> std::io::Result<WatchHandle> {
    let stop = Arc::new(AtomicBool::new(false));
    let hangup = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&hangup))?;
    let flag = Arc::clone(&stop);
    let thread = std::thread::Builder::new().name("logsift-reload".into()).spawn(move || {
        let (tx, rx) = mpsc::channel();
        let mut watcher = None;
        let mut watching = BTreeSet::new();
        let mut changed_at: Option<Instant> = None;
        // What to watch is worked out at start and after each reload, not on every turn.
        let mut rearm = true;
        while !flag.load(Ordering::Relaxed) {
            let (watch, debounce) = (reloader.settings().reload.watch, Duration::from_millis(reloader.settings().reload.debounce_ms));
            if std::mem::take(&mut rearm) {
                if watch {
                    let dirs = watched_dirs(&reloader);
                    if watcher.is_none() || dirs != watching {
                        watcher = start_watcher(&dirs, tx.clone());
                        watching = dirs;
                        // A change made before the watch was in place (while the first
                        // generation compiled, say) has no event: look once anyway.
                        changed_at.get_or_insert_with(Instant::now);
                    }
                } else {
                    watcher = None;
                    watching.clear();
                }
            }
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(()) => changed_at = Some(Instant::now()),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
            }
            if hangup.swap(false, Ordering::Relaxed) {
                reloader.reload("sighup");
                changed_at = None;
                rearm = true;
            } else if changed_at.is_some_and(|t| t.elapsed() >= debounce) {
                changed_at = None;
                reloader.reload("file change");
                rearm = true;
            }
        }
    })?;
    Ok(WatchHandle { stop, thread: Some(thread) })
}

fn start_watcher(dirs: &BTreeSet<(PathBuf, bool)>, tx: mpsc::Sender<()>) -> Option<notify::RecommendedWatcher> {
    let handler = move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| !e.kind.is_access()) {
            let _ = tx.send(());
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            tracing::error!("cannot watch the plugin files ({e}); reload with SIGHUP");
            return None;
        }
    };
    for (dir, recursive) in dirs {
        let mode = if *recursive { RecursiveMode::Recursive } else { RecursiveMode::NonRecursive };
        if let Err(e) = watcher.watch(dir, mode) {
            tracing::warn!(dir = %dir.display(), "cannot watch {e}; changes there need SIGHUP");
        }
    }
    Some(watcher)
}
