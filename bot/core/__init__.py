"""The pure core: no platform types, no network, no clock except the one passed in."""
