"""Streamlit pieces of the inventory screens (stock, counting, restocking, orders, charts)."""
