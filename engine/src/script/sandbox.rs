//! Which files a script may touch: only under its own directory and the paths given on the
//! command line (`--allow PATH`, and the values of `--set key=value`).
//!
//! Paths written in a script are relative to the script's directory; a path that is exactly a
//! `--set` value is relative to the current directory (the user typed it in the shell). Every
//! path is made absolute, `..` is resolved against the real file system (symbolic links
//! followed), and the result must lie under an allowed root.

use std::path::{Component, Path, PathBuf};

#[derive(Clone, Debug)]
pub struct Sandbox {
    script_dir: PathBuf,
    cwd: PathBuf,
    roots: Vec<PathBuf>,
    /// Values given with `--set`, resolved against the current directory.
    command_line_paths: Vec<String>,
}

impl Sandbox {
    /// `allowed`: `--allow` paths; `set_values`: the values of `--set` (each allowed as a path
    /// relative to the current directory).
    pub fn new(script_dir: &Path, allowed: &[PathBuf], set_values: &[String]) -> Self {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let mut roots: Vec<PathBuf> = real(&absolute(&cwd, script_dir)).into_iter().collect();
        roots.extend(allowed.iter().filter_map(|p| real(&absolute(&cwd, p))));
        roots.extend(set_values.iter().filter(|v| !v.is_empty()).filter_map(|v| real(&absolute(&cwd, Path::new(v)))));
        Sandbox {
            script_dir: absolute(&cwd, script_dir),
            cwd,
            roots,
            command_line_paths: set_values.to_vec(),
        }
    }

    pub fn script_dir(&self) -> &Path {
        &self.script_dir
    }

    /// Resolves a path written in the script and checks it is allowed.
    pub fn resolve(&self, path: &str, access: &str) -> Result<PathBuf, String> {
        if path.is_empty() {
            return Err(format!("cannot {access} an empty path"));
        }
        let base = if self.command_line_paths.iter().any(|v| v == path) { &self.cwd } else { &self.script_dir };
        let trailing_slash = path.ends_with('/');
        let Some(resolved) = real(&absolute(base, Path::new(path))) else {
            return Err(format!("sandbox: cannot {access} '{path}': '..' after a directory that does not exist"));
        };
        if self.roots.iter().any(|r| resolved.starts_with(r)) {
            // Keep a trailing '/' (it means "directory" to writers).
            if trailing_slash {
                let mut s = resolved.into_os_string();
                s.push("/");
                return Ok(PathBuf::from(s));
            }
            return Ok(resolved);
        }
        Err(format!(
            "sandbox: cannot {access} '{path}' ({}): scripts may only use files under {} (add --allow PATH to permit more)",
            resolved.display(),
            self.roots.iter().map(|r| format!("'{}'", r.display())).collect::<Vec<_>>().join(", ")
        ))
    }
}

fn absolute(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() { p.to_path_buf() } else { base.join(p) }
}

/// The real path, as the kernel would resolve it: the part up to the last `..` must exist
/// and is canonicalised (links followed, then `..`); of the rest, the longest existing prefix
/// is canonicalised and the remaining (new) names appended. `None` when a `..` follows a name
/// that does not exist.
fn real(p: &Path) -> Option<PathBuf> {
    let parts: Vec<Component> = p.components().collect();
    let last_parent = parts.iter().rposition(|c| matches!(c, Component::ParentDir));
    let (mut base, rest) = match last_parent {
        Some(k) => (parts[..=k].iter().collect::<PathBuf>().canonicalize().ok()?, &parts[k + 1..]),
        None => (PathBuf::new(), &parts[..]),
    };
    let rest: Vec<&Component> = rest.iter().filter(|c| !matches!(c, Component::CurDir)).collect();
    base.extend(rest.iter().map(|c| c.as_os_str()));
    // Canonicalise the longest existing prefix.
    let mut existing = base.clone();
    let mut tail: Vec<std::ffi::OsString> = Vec::new();
    loop {
        if let Ok(mut c) = existing.canonicalize() {
            c.extend(tail.iter().rev());
            return Some(c);
        }
        let name = existing.file_name()?.to_os_string();
        tail.push(name);
        existing = existing.parent()?.to_path_buf();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_script_dir_and_command_line_paths() {
        let tmp = std::env::temp_dir().join(format!("screen-sandbox-{}", std::process::id()));
        let script_dir = tmp.join("proj");
        std::fs::create_dir_all(script_dir.join("data")).unwrap();
        std::fs::create_dir_all(tmp.join("other")).unwrap();
        let extra = tmp.join("extra");
        let sb = Sandbox::new(&script_dir, &[extra.clone()], &[]);
        assert!(sb.resolve("data/x.cif", "read").is_ok());
        assert!(sb.resolve("out/new/dir/", "write").unwrap().to_string_lossy().ends_with("/"));
        let e = sb.resolve("../other/secret", "read").unwrap_err();
        assert!(e.contains("sandbox: cannot read '../other/secret'"), "{e}");
        assert!(sb.resolve("data/../../other/x", "write").is_err());
        assert!(sb.resolve("/etc/passwd", "read").is_err());
        assert!(sb.resolve(&extra.join("y.csv").to_string_lossy(), "write").is_ok());
        // A symbolic link out of the sandbox is followed, and refused.
        #[cfg(unix)]
        {
            let link = script_dir.join("escape");
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(tmp.join("other"), &link).unwrap();
            assert!(sb.resolve("escape/secret", "read").is_err());
        }
        std::fs::remove_dir_all(&tmp).ok();
    }
}
