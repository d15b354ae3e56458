"""The shipped load-balancer configuration, deploy/nginx.conf, is valid nginx and says what the README promises."""

import subprocess

from nginxserver import SHIPPED, argv, prefix_folder, render


def test_the_shipped_nginx_config_passes_nginx_t(nginx_binary, tmp_path):
    done = subprocess.run(argv(nginx_binary, prefix_folder(tmp_path), SHIPPED, "-t"), capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr and "test is successful" in done.stderr


def test_the_rendered_config_passes_nginx_t_with_only_the_ports_changed(nginx_binary, tmp_path):
    rendered = render((18001, 18002), 18080)
    assert "server 127.0.0.1:18001 max_fails=2 fail_timeout=10s;" in rendered and "listen 127.0.0.1:18080;" in rendered
    assert rendered.replace("1800", "800").replace("18080", "8080") == SHIPPED.read_text(encoding="utf-8")
    conf = tmp_path / "nginx.conf"
    conf.write_text(rendered, encoding="utf-8")
    done = subprocess.run(argv(nginx_binary, prefix_folder(tmp_path), conf, "-t"), capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_the_shipped_config_retries_only_what_is_safe_and_passes_the_request_id():
    text = SHIPPED.read_text(encoding="utf-8")
    default, answers = text.split("location ~ ^/v1/(query|suggest)$")
    assert "proxy_next_upstream error timeout http_502 http_503;" in default and "non_idempotent" not in default
    assert "proxy_next_upstream error timeout http_502 http_503 non_idempotent;" in answers
    assert "proxy_set_header X-Request-ID $faq_request_id;" in text and "$request_id;" in text
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in text
    assert "client_max_body_size 64k;" in text
