"""The Textual app: a view of the core's stepper. It reads the core's state and asks it to move."""
