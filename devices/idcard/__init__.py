"""Resident ID card readers speaking the SAM serial protocol (GA/T 467), and a simulator."""
