//! `Lines`: a `futures_core::Stream` of the lines of a `ChunkedStream`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_io::AsyncRead;
use pipe_core::stream::ReadRequest;

use crate::ChunkedStream;

/// The lines of a [`ChunkedStream`], made by [`ChunkedStream::lines`]: `Ok(line)` per line, an
/// error for a partial last line, a line over the limit or a transport error, then the end.
/// Dropping a pending `next()` loses nothing.
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
