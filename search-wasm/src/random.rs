//! Randomness for the dependencies that ask for it (tantivy's `uuid` and `rand`).
//!
//! Reading an index never needs random numbers, but the crates that provide them are
//! linked in and need a source on `wasm32-unknown-unknown`, which has none. A failing
//! source keeps the module free of JavaScript glue; a call would surface as an error.

/// getrandom's custom backend: reports that no randomness is available.
///
/// # Safety
/// Called by getrandom with a writable buffer of `len` bytes; it writes nothing.
#[no_mangle]
unsafe extern "Rust" fn __getrandom_v03_custom(
    _dest: *mut u8,
    _len: usize,
) -> Result<(), getrandom::Error> {
    Err(getrandom::Error::UNSUPPORTED)
}
