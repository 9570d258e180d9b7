//! `Lines`: a `futures_core::Stream` of the lines of a `ChunkedStream`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use pipe_core::stream::ReadRequest;
use tokio::io::AsyncRead;

use crate::ChunkedStream;

/// The lines of a [`ChunkedStream`], made by [`ChunkedStream::lines`].
///
/// Yields `Ok(line)` for each line, an error for a partial last line, a line over the limit or a
/// transport error, and ends after the clean end of the transport. Dropping a pending `next()` loses
/// nothing.
///
/// ```
/// use futures_util::StreamExt;
/// use pipe_tokio::ChunkedStream;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let (mut client, server) = tokio::io::duplex(64);
/// tokio::io::AsyncWriteExt::write_all(&mut client, b"a\nb\r\nc\n").await?;
/// drop(client);
/// let lines: Vec<_> = ChunkedStream::new(server).lines(false).collect().await;
/// let lines: Vec<_> = lines.into_iter().collect::<Result<_, _>>()?;
/// assert_eq!(lines, ["a", "b", "c"]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Lines<S> {
    stream: ChunkedStream<S>,
    with_ending: bool,
}

impl<S> Lines<S> {
    pub(crate) fn new(stream: ChunkedStream<S>, with_ending: bool) -> Self {
        Lines {
            stream,
            with_ending,
        }
    }

    /// The stream, with whatever it has buffered.
    pub fn into_inner(self) -> ChunkedStream<S> {
        self.stream
    }
}

impl<S: AsyncRead + Unpin> Stream for Lines<S> {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let request = ReadRequest::Line {
            with_ending: this.with_ending,
        };
        this.stream
            .poll_read_request(cx, request)
            .map(Result::transpose)
    }
}
