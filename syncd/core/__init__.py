"""Pure rules: the domain, time and recurrence, the tag and the block, what meeting an event
asks for, the decision table and its actions, Zoom's schedule arithmetic, and the ports the
engine is written against with the failures they may raise. No I/O; imports nothing of syncd
outside this package."""
