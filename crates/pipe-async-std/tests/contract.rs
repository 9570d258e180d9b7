//! The documented contracts of pipe-async-std, through the public API only, each on async-std
//! and on smol: the checks of `pipe_testkit::contract_cases` (vectored writes resumed after
//! cancellation, the `lines()` stream's errors and limits, `fill_more` past the frame limit,
//! the in-process pipe's `fill_more`, parser pattern and backpressure, `shutdown` half-closing
//! TCP streams) and of `pipe_testkit::lending_cases` (the lending reads), shared with
//! pipe-tokio; and `shutdown` on `smol::Async<std::net::TcpStream>`,
//! smol's alone. Every test uses its own pool and checks that all its chunks come back.

mod on_async_std {
    use std::convert::identity as join; // a task is a future of its output

    use async_std::future::timeout;
    use async_std::net::TcpStream;
    use async_std::task::{spawn, yield_now};
    use futures_util::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    use pipe_async_std::{ChunkedStream, pipe_with};

    pipe_testkit::contract_tests!(test: (#[async_std::test]), threaded: (#[async_std::test]));
    pipe_testkit::lending_tests!(test: (#[async_std::test]));
}

mod on_smol {
    use std::convert::identity as join; // a task is a future of its output
    use std::future::Future;
    use std::net::Shutdown;
    use std::time::{Duration, Instant};

    use futures_util::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    use pipe_async_std::{ChunkedStream, pipe_with};
    use pipe_testkit::cases::{assert_balanced, options, pool};
    use smol::future::yield_now;
    use smol::net::{TcpListener, TcpStream};
    use smol::spawn;

    /// `f`'s output, or `Err` if `d` passed first (`f` is polled first).
    async fn timeout<T>(d: Duration, f: impl Future<Output = T>) -> Result<T, Instant> {
        smol::future::or(async { Ok(f.await) }, async {
            Err(smol::Timer::after(d).await)
        })
        .await
    }

    pipe_testkit::contract_tests!(test: (smol::block_on), threaded: (smol::block_on));
    pipe_testkit::lending_tests!(test: (smol::block_on));

    /// `f`'s output, or a panic naming `what` after 30 s: a hang becomes a failure.
    async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
        let out = timeout(Duration::from_secs(30), f).await;
        out.unwrap_or_else(|_| panic!("{what}: no outcome within 30 s (hang)"))
    }

    /// On `smol::Async<std::net::TcpStream>`, `shutdown()` only flushes: the peer sees no end
    /// until the socket itself is shut down.
    #[test]
    fn shutdown_only_flushes_smol_async_tcp_stream() {
        smol::block_on(async {
            let pool = pool();
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let connect = smol::Async::<std::net::TcpStream>::connect(addr);
            let (peer, ours) = futures_util::join!(listener.accept(), connect);
            let mut peer = peer.unwrap().0;
            let mut ours = ChunkedStream::with_options(ours.unwrap(), options(&pool, 1 << 16));
            ours.write_all(b"hello").await.unwrap();
            within("shutdown", ours.shutdown()).await.unwrap();
            let mut buf = [0; 5];
            within("read_exact", peer.read_exact(&mut buf))
                .await
                .unwrap();
            assert_eq!(&buf, b"hello");
            // No end for the peer (the one use of timing: a short read must time out).
            let short = Duration::from_millis(200);
            let read = timeout(short, peer.read(&mut buf)).await;
            assert!(read.is_err(), "the peer saw {read:?} after shutdown()");
            ours.get_ref().get_ref().shutdown(Shutdown::Write).unwrap();
            assert_eq!(
                within("read", peer.read(&mut buf)).await.unwrap(),
                0,
                "the end"
            );
            peer.write_all(b"reply\n").await.unwrap();
            drop(peer);
            let line = within("read_line", ours.read_line(false)).await.unwrap();
            assert_eq!(line.unwrap(), "reply");
            assert_eq!(
                within("read_line", ours.read_line(false)).await.unwrap(),
                None
            );
            drop(ours);
            assert_balanced(&pool, "smol::Async");
        });
    }
}
