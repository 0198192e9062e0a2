//! `slipway-wasm-split INPUT.wasm OUT_DIR MAIN_OUT.wasm`
//!
//! Splits the browser bundle (linked with `--emit-relocs`) at its `#[lazy]`
//! split points, as `cargo leptos build --split` does:
//!
//! - `MAIN_OUT.wasm`: the main module, for wasm-bindgen (with
//!   `--keep-lld-exports`; the chunks import from it);
//! - `OUT_DIR/split_*.ID.wasm`, `OUT_DIR/chunk_*.ID.wasm`: one module per split
//!   point and one per group of code that several split points share. `ID`
//!   (a hash of all the output) identifies the build: a page still open from
//!   an earlier build must not load another build's modules into its memory
//!   (it gets a 404 instead); wasm-split itself names them the same in every
//!   build;
//! - `OUT_DIR/__wasm_split.______________________.js`: the loader the main
//!   module imports (the name Leptos's `HydrationScripts` preloads when file
//!   hashing is off);
//! - `OUT_DIR/__wasm_split_manifest.json`: for each split point, the modules it
//!   needs. The server reads it to name a page's chunks in preload links.
//!
//! The JavaScript imports `initSync` from `./slipway.js`, wasm-bindgen's output
//! for the main module.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::process::ExitCode;

/// Where `leptos::HydrationScripts` expects the loader without file hashes.
const LINK_NAME: &str = "./__wasm_split.______________________.js";
const MANIFEST: &str = "__wasm_split_manifest.json";
const MAIN_MODULE: &str = "./slipway.js";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--version") {
        println!("slipway-wasm-split {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let [input, out_dir, main_out] = args.as_slice() else {
        eprintln!("usage: slipway-wasm-split INPUT.wasm OUT_DIR MAIN_OUT.wasm");
        return ExitCode::from(2);
    };
    match split(input.into(), out_dir.into(), main_out.into()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("slipway-wasm-split: {e:?}");
            ExitCode::FAILURE
        }
    }
}

fn split(
    input: PathBuf,
    out_dir: PathBuf,
    main_out: PathBuf,
) -> Result<(), Box<dyn std::error::Error>> {
    let wasm = std::fs::read(&input).map_err(|e| format!("{}: {e}", input.display()))?;
    let output = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(&wasm);
        opts.output_dir = &out_dir;
        opts.main_out_path = &main_out;
        opts.main_module = MAIN_MODULE;
        opts.link_name = LINK_NAME;
        opts
    })
    .map_err(|e| format!("{e:?}"))?;
    // The build's id in every module's name, in the loader and the manifest:
    // a hash of everything emitted (wasm-split may number its modules
    // differently from one run to the next, so not of the input).
    let link_path = out_dir.join(LINK_NAME);
    let mut link = std::fs::read_to_string(&link_path)?;
    let id = {
        let mut h = DefaultHasher::new();
        std::fs::read(&main_out)?.hash(&mut h);
        link.hash(&mut h);
        let mut modules = output.split_modules.clone();
        modules.sort();
        for path in &modules {
            path.file_name().hash(&mut h);
            std::fs::read(path)?.hash(&mut h);
        }
        format!("{:016x}", h.finish())
    };
    for path in &output.split_modules {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| format!("unexpected module name {}", path.display()))?;
        let (from, to) = (
            format!("\"./{stem}.wasm\""),
            format!("\"./{stem}.{id}.wasm\""),
        );
        if !link.contains(&from) {
            return Err(format!("{LINK_NAME} does not load {stem}.wasm").into());
        }
        link = link.replace(&from, &to);
        std::fs::rename(path, out_dir.join(format!("{stem}.{id}.wasm")))?;
    }
    std::fs::write(&link_path, link)?;
    // Sorted, so that the same bundle gives the same manifest.
    let prefetch: BTreeMap<_, Vec<String>> = output
        .prefetch_map
        .into_iter()
        .map(|(split, modules)| {
            (
                split,
                modules.into_iter().map(|m| format!("{m}.{id}")).collect(),
            )
        })
        .collect();
    let mut json = String::from("{");
    for (i, (split, modules)) in prefetch.iter().enumerate() {
        let modules: Vec<String> = modules.iter().map(|m| quote(m)).collect();
        write!(
            json,
            "{}\n  {}: [{}]",
            if i == 0 { "" } else { "," },
            quote(split),
            modules.join(", ")
        )?;
    }
    json.push_str("\n}\n");
    std::fs::write(out_dir.join(MANIFEST), json)?;
    println!(
        "split into the main module, {} split point(s) and {} module(s)",
        prefetch.len(),
        output.split_modules.len()
    );
    Ok(())
}

/// A JSON string (names here are identifiers and file stems).
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
