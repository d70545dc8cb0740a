//! Cold and warm scans of the bookworm image (filled in below).
fn main() {}
