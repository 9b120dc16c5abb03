"""The machine: board descriptions, memory maps, the scheduler and its policies, the builder, consoles and the event trace."""
