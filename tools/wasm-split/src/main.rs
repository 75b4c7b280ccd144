//! Splits the wasm that rustc linked (with `--emit-relocs`) at the split
//! points Leptos' `#[lazy]` and `#[lazy_route]` leave in it, as
//! `cargo leptos build --split` does, for the build in scripts/lib.sh that
//! does not use cargo-leptos.
//!
//!   wasm-split INPUT.wasm OUT_DIR MAIN_OUT.wasm OUTPUT_NAME
//!
//! Writes MAIN_OUT.wasm (the main module, for wasm-bindgen), one .wasm per
//! split module and per chunk of code shared between them into OUT_DIR,
//! the JS loader `__wasm_split.______________________.js` (the name Leptos'
//! `HydrationScripts` expects; tools/site.mjs puts a hash in place of the
//! underscores), and `__wasm_split_manifest.json`, which tells the server
//! which files a lazy route needs so a page can preload them.

use std::path::Path;
use std::process::ExitCode;

/// The loader's name before hashing. Leptos looks for exactly this when
/// hashing is off, and the underscores are as long as the hash that
/// replaces them, so the name can be patched inside the wasm too.
const LINK_NAME: &str = "./__wasm_split.______________________.js";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, out_dir, main_out, output_name] = args.as_slice() else {
        eprintln!("usage: wasm-split INPUT.wasm OUT_DIR MAIN_OUT.wasm OUTPUT_NAME");
        return ExitCode::from(2);
    };
    match split(
        Path::new(input),
        Path::new(out_dir),
        Path::new(main_out),
        output_name,
    ) {
        Ok(count) => {
            println!("wasm-split: {count} lazy module(s) in {out_dir}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("wasm-split: {error:?}");
            ExitCode::FAILURE
        }
    }
}

fn split(
    input: &Path,
    out_dir: &Path,
    main_out: &Path,
    output_name: &str,
) -> Result<usize, Box<dyn std::error::Error>> {
    let wasm = std::fs::read(input)?;
    // The loader imports `initSync` from the main module's JS glue, which
    // sits beside it.
    let main_module = format!("./{output_name}.js");
    let mut options = wasm_split_cli_support::Options::new(&wasm);
    options.output_dir = out_dir;
    options.main_out_path = main_out;
    options.main_module = &main_module;
    options.link_name = LINK_NAME;
    let split = wasm_split_cli_support::transform(options).map_err(|e| format!("{e:?}"))?;
    std::fs::write(
        out_dir.join("__wasm_split_manifest.json"),
        serde_json::to_string_pretty(&split.prefetch_map)?,
    )?;
    Ok(split.split_modules.len())
}
