//! Finding a model directory by name: the one lookup `screen score`, `screen predict` and the
//! Rhai `predict()` share.

use std::path::PathBuf;

/// The first `DIR/name` that is a directory, searching `dirs` in order. The error lists the
/// places searched and the model names available there.
pub fn find_model_dir(name: &str, dirs: &[PathBuf]) -> Result<PathBuf, String> {
    if let Some(found) = dirs.iter().map(|d| d.join(name)).find(|d| d.is_dir()) {
        return Ok(found);
    }
    let mut known: Vec<String> = dirs
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flat_map(|r| r.flatten().filter(|e| e.path().is_dir()).map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    known.sort();
    known.dedup();
    Err(format!(
        "model '{name}' not found in {} (available: {})",
        dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", "),
        if known.is_empty() { "none".into() } else { known.join(", ") }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_match_and_lists_what_exists() {
        let root = std::env::temp_dir().join(format!("screen-model-dir-{}", std::process::id()));
        let (a, b) = (root.join("a"), root.join("b"));
        std::fs::create_dir_all(b.join("eform")).unwrap();
        std::fs::create_dir_all(a.join("gap")).unwrap();
        let dirs = vec![a.clone(), b.clone()];
        assert_eq!(find_model_dir("eform", &dirs).unwrap(), b.join("eform"));
        let err = find_model_dir("nonesuch", &dirs).unwrap_err();
        assert!(err.contains("available: eform, gap"), "{err}");
        std::fs::remove_dir_all(&root).ok();
    }
}
