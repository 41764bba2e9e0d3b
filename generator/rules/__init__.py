"""What the year is judged by: the standard, the year's configuration, the register, the terms."""
