"""The screens the hub serves."""
