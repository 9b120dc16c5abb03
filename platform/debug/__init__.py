"""Debugging a machine: the debug API, core inspection, disassembly, the GDB server and the ``psaemu debug`` prompt."""
