"""A pack that prints a port where nothing ever answers a gRPC call."""

import socket
import sys
import time

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
sys.stdout.write(f"{listener.getsockname()[1]}\n")
sys.stdout.flush()
time.sleep(3600)
