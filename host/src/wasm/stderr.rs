//! A plugin's standard error: kept in memory for its last lines (a Rust panic message lands
//! there and becomes the dead letter's reason), bounded, and never a reason to trap. When
//! full, the oldest half is dropped and counted, so a chatty plugin keeps running and the
//! newest lines are always there.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

#[derive(Debug, Default)]
struct Kept {
    bytes: Vec<u8>,
    dropped: u64,
}

/// The stderr of one plugin instance. Clones share the same buffer.
#[derive(Debug, Clone)]
pub struct BoundedStderr {
    capacity: usize,
    kept: Arc<Mutex<Kept>>,
}

impl BoundedStderr {
    /// A buffer keeping at most `capacity` bytes.
    pub fn new(capacity: usize) -> Self {
        BoundedStderr { capacity: capacity.max(2), kept: Arc::default() }
    }

    /// What is kept, oldest first.
    pub fn contents(&self) -> Vec<u8> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner).bytes.clone()
    }

    /// Bytes dropped to make room.
    pub fn dropped(&self) -> u64 {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner).dropped
    }

    fn push(&self, bytes: &[u8]) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        let bytes = if bytes.len() > self.capacity {
            kept.dropped += (bytes.len() - self.capacity) as u64;
            &bytes[bytes.len() - self.capacity..]
        } else {
            bytes
        };
        if kept.bytes.len() + bytes.len() > self.capacity {
            let drop = (kept.bytes.len() + bytes.len() - self.capacity).max(self.capacity / 2).min(kept.bytes.len());
            kept.bytes.drain(..drop);
            kept.dropped += drop as u64;
        }
        kept.bytes.extend_from_slice(bytes);
    }
}

impl OutputStream for BoundedStderr {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(self.capacity)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for BoundedStderr {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for BoundedStderr {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for BoundedStderr {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for BoundedStderr {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_buffer_drops_its_oldest_bytes_and_keeps_the_newest() {
        let stderr = BoundedStderr::new(16);
        for i in 0..10 {
            stderr.push(format!("line {i}\n").as_bytes());
        }
        let text = String::from_utf8(stderr.contents()).expect("text");
        assert!(text.ends_with("line 9\n") && text.len() <= 16, "{text:?}");
        assert_eq!(stderr.dropped() as usize + text.len(), 70);
        stderr.push(&[b'x'; 40]);
        assert_eq!(stderr.contents(), vec![b'x'; 16]);
    }
}
