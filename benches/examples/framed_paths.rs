//! One framed read path over a fixed input, for instruction counts under callgrind:
//! `valgrind --tool=callgrind target/release/examples/framed_paths FORM` with FORM one of
//! `ld64-ours`, `ld64-tokio-util`, `ld4096-ours`, `ld4096-tokio-util`, `lines-ours`,
//! `lines-tokio-util` (`AnyDelimiterCodec`), `lines-lc-tokio-util` (`LinesCodec`): 4 MiB fed in
//! 16 KiB reads; `write64-ours`, `write64-tokio-util`, `write64k-ours`, `write64k-tokio-util`:
//! `FramedWrite<LengthDelimitedCodec>` of 4 MiB in 64 B or 64 KiB messages to a transport that
//! takes every write.

use chunkedbuffer_benches::lines;
use chunkedbuffer_benches::peers;
use chunkedbuffer_benches::source::Pieces;

fn main() {
    let form = std::env::args().nth(1).unwrap_or_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let total = 4 << 20;
    let ld = peers::length_delimited_frames(64, total);
    let ld4096 = peers::length_delimited_frames(4096, total);
    let text = lines(64, total);
    let piece = 16 * 1024;
    let n = match form.as_str() {
        "ld64-ours" => rt.block_on(peers::framed_length_delimited_ours(Pieces::new(&ld, piece))),
        "ld64-tokio-util" => {
            rt.block_on(peers::length_delimited_peer(Pieces::new(&ld, piece), piece))
        }
        "ld4096-ours" => rt.block_on(peers::framed_length_delimited_ours(Pieces::new(
            &ld4096, piece,
        ))),
        "ld4096-tokio-util" => rt.block_on(peers::length_delimited_peer(
            Pieces::new(&ld4096, piece),
            piece,
        )),
        "lines-lc-tokio-util" => rt.block_on(peers::lines_codec(Pieces::new(&text, piece), piece)),
        "write64-ours" | "write64-tokio-util" | "write64k-ours" | "write64k-tokio-util" => {
            use chunkedbuffer_benches::framing;
            let len = if form.starts_with("write64k") {
                64 << 10
            } else {
                64
            };
            let msgs = framing::payloads(len, total / (len + 4));
            let mut sink = framing::Recorder::new(&msgs);
            if form.ends_with("ours") {
                rt.block_on(framing::send_ours(&mut sink, &msgs));
            } else {
                rt.block_on(framing::send_peer(&mut sink, &msgs));
            }
            msgs.len() as u64
        }
        "lines-ours" => rt.block_on(peers::framed_lines_ours(Pieces::new(&text, piece))),
        "lines-tokio-util" => rt.block_on(peers::any_delimiter(Pieces::new(&text, piece), piece)),
        "none" => 0,
        other => {
            eprintln!("framed_paths: unknown form {other:?}");
            std::process::exit(2);
        }
    };
    println!("{form}: {n} frames");
}
