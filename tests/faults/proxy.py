"""A TCP proxy in front of PostgreSQL that can lose a COMMIT on the way in, or its answer
on the way out: the two halves of "the outcome is unknown to the caller"."""

import socket
import threading
import time

COMMIT = b"Q\x00\x00\x00\x0bCOMMIT\x00"  # a simple-protocol Query message "COMMIT"


class CommitDroppingProxy:
    def __init__(self, target_port: int):
        self.target_port = target_port
        self.mode = "pass"  # "pass", "drop_commit" (never reaches the server), "drop_answer"
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            state = {"mute": False}
            threading.Thread(target=self._upstream, args=(client, server, state, self.mode), daemon=True).start()
            threading.Thread(target=self._downstream, args=(server, client, state), daemon=True).start()

    @staticmethod
    def _close(*socks):
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _upstream(self, client, server, state, mode):
        try:
            while data := client.recv(65536):
                if COMMIT in data and mode != "pass":
                    if mode == "drop_answer":
                        state["mute"] = True
                        server.sendall(data)
                        time.sleep(0.2)  # let the server commit, then lose its answer
                    self._close(client, server)
                    return
                server.sendall(data)
        except OSError:
            pass
        self._close(client, server)

    @staticmethod
    def _downstream(server, client, state):
        try:
            while data := server.recv(65536):
                if not state["mute"]:
                    client.sendall(data)
        except OSError:
            pass

    def close(self):
        self.listener.close()
