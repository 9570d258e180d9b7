//! The framed types on tokio over loopback TCP: `pipe_testkit::framed_cases`, shared with
//! async-std and smol.

use std::future::Future;

use pipe_tokio::{ChunkedStream, Framed, FramedRead, FramedWrite, PipeOptions, Pool};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(f)
}

fn spawn<T: Send + 'static>(
    f: impl Future<Output = T> + Send + 'static,
) -> impl Future<Output = T> {
    let task = tokio::spawn(f);
    async move { task.await.expect("the task does not panic") }
}

/// The test kit's loopback pair, taken over by tokio.
async fn sockets() -> (TcpStream, TcpStream) {
    let (peer, ours) = pipe_testkit::cases::tcp_pair(false);
    let take = |s| TcpStream::from_std(s).expect("a tokio socket");
    (take(peer), take(ours))
}

async fn close_raw(mut peer: TcpStream) {
    peer.shutdown().await.unwrap();
}

pipe_testkit::framed_tests!(block_on);

/// A transport that takes `per_call` bytes a write and fails the writes numbered in `fail`
/// (counting from 0) with `ConnectionReset`, taking nothing then.
struct Flaky {
    got: Vec<u8>,
    calls: usize,
    fail: Vec<usize>,
    per_call: usize,
}

impl tokio::io::AsyncWrite for Flaky {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let call = self.calls;
        self.calls += 1;
        if self.fail.contains(&call) {
            return std::task::Poll::Ready(Err(std::io::ErrorKind::ConnectionReset.into()));
        }
        let n = buf.len().min(self.per_call);
        self.got.extend_from_slice(&buf[..n]);
        std::task::Poll::Ready(Ok(n))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// `FramedWrite`'s docs: a transport error comes out of the flush as it happens, and the bytes
/// not yet written stay buffered, so a later flush sends them: every message once, in order,
/// none torn, whichever write failed (the first, one in the middle of a message, several).
#[test]
fn framed_write_keeps_unsent_bytes_after_a_transport_error() {
    use futures_util::SinkExt;
    use pipe_tokio::codec::LinesCodec;
    block_on(async {
        for fail in [vec![0], vec![3], vec![1, 2, 5]] {
            let transport = Flaky {
                got: Vec::new(),
                calls: 0,
                fail: fail.clone(),
                per_call: 7,
            };
            let mut sink = FramedWrite::new(ChunkedStream::new(transport), LinesCodec::new());
            let mut want = Vec::new();
            for i in 0..20 {
                let line = format!("message {i}");
                sink.feed(line.clone()).await.unwrap();
                want.extend_from_slice(line.as_bytes());
                want.push(b'\n');
            }
            let mut errors = 0;
            while let Err(e) = SinkExt::<String>::flush(&mut sink).await {
                let e = std::io::Error::from(e);
                assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset);
                errors += 1;
                assert!(
                    errors <= fail.len(),
                    "{fail:?}: the error does not repeat by itself"
                );
            }
            assert_eq!(errors, fail.len(), "{fail:?}");
            assert_eq!(sink.buffered(), 0);
            assert_eq!(sink.get_ref().get_ref().got, want, "{fail:?}");
        }
    });
}
