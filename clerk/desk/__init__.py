"""The window desk: the Textual app a clerk uses all day (`clerk desk`, `clerk demo`)."""
