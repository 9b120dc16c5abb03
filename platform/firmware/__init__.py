"""Firmware images: ELF and other file formats, MCUboot headers, the bundled images and the NS application SDK."""
