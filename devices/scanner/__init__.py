"""Document scanners: SANE through `scanimage`, or a scan-to-folder directory; pages to PDF."""
