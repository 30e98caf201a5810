"""nginx with the shipped configuration (deploy/nginx.conf), its upstreams pointed at local app processes."""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx2 as httpx
from services import free_port

from servers import KEY, ROOT

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


class Proxy:
    """The shipped config, changed only where a test machine differs: the upstream addresses (one line per
    app process, each as the shipped `app1` line is), the listening address and nginx's own files."""

    def __init__(self, upstreams: list[int]) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="workshop-nginx-"))
        self.port = free_port()
        config = (ROOT / "deploy" / "nginx.conf").read_text()
        shipped = re.search(r"^( *)server app1:8000(.*)$", config, re.MULTILINE)
        assert shipped is not None, "deploy/nginx.conf has no `server app1:8000` upstream line"
        indent, options = shipped.groups()
        servers = "\n".join(f"{indent}server 127.0.0.1:{port}{options}" for port in upstreams)
        config = re.sub(r"^ *server app\d+:8000.*\n", "", config, flags=re.MULTILINE)
        config = config.replace("upstream workshop {\n", f"upstream workshop {{\n{servers}\n", 1)
        temp_paths = "".join(f"    {kind}_temp_path {self.folder / kind};\n"
                             for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        config = config.replace("listen 80;", f"listen 127.0.0.1:{self.port};").replace(
            "http {\n", "http {\n" + temp_paths, 1)
        (self.folder / "nginx.conf").write_text(config)
        self._nginx("-g", f"pid {self.folder / 'nginx.pid'}; error_log {self.folder / 'error.log'};")

    def _nginx(self, *args: str) -> None:
        subprocess.run([NGINX, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"), *args],
                       check=True, capture_output=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, method: str, path: str, **kwargs) -> httpx.Response:
        return httpx.request(method, self.base + path, headers={"Authorization": f"Bearer {KEY}"},
                             timeout=10, **kwargs)

    def stop(self) -> None:
        self._nginx("-g", f"pid {self.folder / 'nginx.pid'}; error_log {self.folder / 'error.log'};",
                    "-s", "quit")
        shutil.rmtree(self.folder, ignore_errors=True)
