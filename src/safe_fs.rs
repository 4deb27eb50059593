//! Reading the archive without following symbolic links: every source, asset and theme file is
//! opened through here, so a link (to `/proc/self/environ`, to a file outside the archive) is
//! refused at the moment of reading, not only when the directory was listed.

use std::fs::{self, File};
use std::io;
use std::path::Path;

/// Opens `path` for reading if it is a regular file, refusing symbolic links and anything else.
pub fn open(path: &Path) -> io::Result<File> {
    let mut options = File::options();
    options.read(true);
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt;
        // why: O_NOFOLLOW makes the check and the open one step, so no link can be swapped in
        // between; O_NONBLOCK keeps a named pipe from hanging the build before it is refused.
        options.custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK).bits() as i32);
    }
    #[cfg(not(unix))]
    if is_link(path)? {
        return Err(link_error(path));
    }
    let file = options.open(path).map_err(|err| {
        if is_link(path).unwrap_or(false) {
            link_error(path)
        } else {
            err
        }
    })?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    Ok(file)
}

/// Reads a regular file whole; see [`open`].
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut open(path)?, &mut bytes)?;
    Ok(bytes)
}

/// Copies a regular file to `to`; see [`open`].
pub fn copy(from: &Path, to: &Path) -> io::Result<()> {
    let mut source = open(from)?;
    let mut target = File::create(to)?;
    io::copy(&mut source, &mut target).map(drop)
}

/// Whether `path` itself is a symbolic link.
pub fn is_link(path: &Path) -> io::Result<bool> {
    Ok(fs::symlink_metadata(path)?.file_type().is_symlink())
}

fn link_error(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is a symbolic link, and blameless never follows one",
            path.display()
        ),
    )
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_link_to_a_file_and_reads_a_regular_one() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("real"), "ok").unwrap();
        std::os::unix::fs::symlink("/proc/self/environ", dir.path().join("link")).unwrap();
        assert_eq!(read(&dir.path().join("real")).unwrap(), b"ok");
        let err = read(&dir.path().join("link")).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        let err = copy(&dir.path().join("link"), &dir.path().join("copy")).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(!dir.path().join("copy").exists());
    }

    #[test]
    fn refuses_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).is_err());
    }
}
