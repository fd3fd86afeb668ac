<?php
// PHP's curl extension and Guzzle. curl: one handle with curl's own cookie engine, as the Services module's
// PHP examples use it), driving each latch dialect's whole sequence: token, register, login,
// status, an authenticated call, logout.
//
// Usage: php php_clients.php BASE_URL [--guzzle]
// Prints one line per client and dialect, `PASS curl <dialect>` or `FAIL curl <dialect>:
// <step>: …` (and `guzzle` with --guzzle), and exits 1 if any failed.

const PASSWORD = 'a long pass phrase 1';

final class Failure extends Exception {}

final class Answer {
    public function __construct(public int $status, public array $headers, public string $text) {}
    public function json() { return json_decode($this->text, true); }
    public function header(string $name): ?string { return $this->headers[strtolower($name)] ?? null; }
}

final class CurlClient {
    public string $name = 'curl';
    private $handle;
    public function __construct(private string $base) {
        $this->handle = curl_init();
        // An empty cookie file switches curl's cookie engine on, in memory.
        curl_setopt($this->handle, CURLOPT_COOKIEFILE, '');
    }
    public function send(string $method, string $path, array $headers = [], $json = null): Answer {
        $h = $this->handle;
        $lines = [];
        foreach ($headers as $key => $value) { $lines[] = "$key: $value"; }
        curl_setopt($h, CURLOPT_URL, $this->base . $path);
        curl_setopt($h, CURLOPT_CUSTOMREQUEST, $method);
        curl_setopt($h, CURLOPT_RETURNTRANSFER, true);
        curl_setopt($h, CURLOPT_FOLLOWLOCATION, false);
        if ($json !== null) {
            $lines[] = 'Content-Type: application/json';
            curl_setopt($h, CURLOPT_POSTFIELDS, json_encode($json));
        } else {
            curl_setopt($h, CURLOPT_POSTFIELDS, null);
            curl_setopt($h, CURLOPT_HTTPGET, $method === 'GET');
            curl_setopt($h, CURLOPT_CUSTOMREQUEST, $method);
        }
        curl_setopt($h, CURLOPT_HTTPHEADER, $lines);
        $received = [];
        curl_setopt($h, CURLOPT_HEADERFUNCTION, function ($h, $line) use (&$received) {
            $parts = explode(':', $line, 2);
            if (count($parts) === 2) { $received[strtolower(trim($parts[0]))] = trim($parts[1]); }
            return strlen($line);
        });
        $body = curl_exec($h);
        if ($body === false) { throw new Failure(curl_error($h)); }
        return new Answer(curl_getinfo($h, CURLINFO_RESPONSE_CODE), $received, $body);
    }
    public function cookie(string $name): ?string {
        foreach (curl_getinfo($this->handle, CURLINFO_COOKIELIST) as $line) {
            $fields = explode("\t", $line);
            if (($fields[5] ?? null) === $name) { return $fields[6]; }
        }
        return null;
    }
}

// Guzzle, as Debian packages it (php-guzzlehttp-guzzle), with a cookie jar: how PHP
// applications (Drupal itself among them) talk HTTP.
const GUZZLE_AUTOLOAD = '/usr/share/php/GuzzleHttp/autoload.php';

final class GuzzleClient {
    public string $name = 'guzzle';
    private $client;
    private $jar;
    public function __construct(private string $base) {
        require_once GUZZLE_AUTOLOAD;
        $this->jar = new \GuzzleHttp\Cookie\CookieJar();
        $this->client = new \GuzzleHttp\Client([
            'base_uri' => $base,
            'cookies' => $this->jar,
            'http_errors' => false,
            'allow_redirects' => false,
        ]);
    }
    public function send(string $method, string $path, array $headers = [], $json = null): Answer {
        $options = ['headers' => $headers];
        if ($json !== null) { $options['json'] = $json; }
        try {
            $response = $this->client->request($method, $this->base . $path, $options);
        } catch (\GuzzleHttp\Exception\GuzzleException $e) {
            throw new Failure($e->getMessage());
        }
        $received = [];
        foreach ($response->getHeaders() as $name => $values) {
            $received[strtolower($name)] = end($values);
        }
        return new Answer($response->getStatusCode(), $received, (string) $response->getBody());
    }
    public function cookie(string $name): ?string {
        $cookie = $this->jar->getCookieByName($name);
        return $cookie ? $cookie->getValue() : null;
    }
}

function expect(string $step, bool $condition, ?Answer $answer): void {
    if (!$condition) {
        $detail = $answer ? $answer->status . ' ' . substr($answer->text, 0, 300) : '';
        throw new Failure("$step: $detail");
    }
}

function drupal($c, string $user): void {
    $token = $c->send('GET', '/session/token');
    expect('token', $token->status === 200 && strlen($token->text) === 43, $token);
    $registered = $c->send('POST', '/user/register?_format=json', ['X-CSRF-Token' => $token->text], [
        'name' => [['value' => $user]],
        'mail' => [['value' => "$user@example.com"]],
        'pass' => [['value' => PASSWORD]],
    ]);
    expect('register', $registered->status === 200, $registered);
    $uid = $registered->json()['uid'][0]['value'];
    $login = $c->send('POST', '/user/login?_format=json', [], ['name' => $user, 'pass' => PASSWORD]);
    expect('login', $login->status === 200, $login);
    $tokens = $login->json();
    $status = $c->send('GET', '/user/login_status?_format=json');
    expect('status', $status->text === '1', $status);
    $me = $c->send('PATCH', "/user/$uid?_format=json", ['X-CSRF-Token' => $tokens['csrf_token']], [
        'mail' => [['value' => "$user@example.org"]],
        'pass' => [['existing' => PASSWORD]],
    ]);
    expect('authenticated call', $me->status === 200 && $me->json()['mail'][0]['value'] === "$user@example.org", $me);
    $logout = $c->send('POST', '/user/logout?_format=json&token=' . $tokens['logout_token']);
    expect('logout', $logout->status === 204, $logout);
    $status = $c->send('GET', '/user/login_status?_format=json');
    expect('logout', $status->text === '0', $status);
}

function services($c, string $user, string $prefix = '/rest/'): void {
    // Bodiless POSTs go as JSON: a body without a Content-Type counts as urlencoded, which
    // the module's default endpoint refuses.
    $token = $c->send('POST', "{$prefix}user/token.json", [], new stdClass());
    expect('token', $token->status === 200, $token);
    $registered = $c->send('POST', "{$prefix}user/register.json", ['X-CSRF-Token' => $token->json()['token']],
        ['name' => $user, 'mail' => "$user@example.com", 'pass' => PASSWORD]);
    expect('register', $registered->status === 200, $registered);
    $uid = $registered->json()['uid'];
    // Without mail verification Drupal 7 logs the new account in; log out to log in for real.
    $sessionToken = $c->send('GET', '/services/session/token');
    $out = $c->send('POST', "{$prefix}user/logout.json", ['X-CSRF-Token' => $sessionToken->text], new stdClass());
    expect('register', $out->status === 200, $out);
    $login = $c->send('POST', "{$prefix}user/login.json", [], ['username' => $user, 'password' => PASSWORD]);
    expect('login', $login->status === 200, $login);
    $csrf = ['X-CSRF-Token' => $login->json()['token']];
    $connect = $c->send('POST', "{$prefix}system/connect.json", $csrf, new stdClass());
    expect('status', $connect->status === 200 && $connect->json()['user']['uid'] === $uid, $connect);
    $me = $c->send('GET', "{$prefix}user/$uid.json");
    expect('authenticated call', $me->status === 200 && $me->json()['mail'] === "$user@example.com", $me);
    $logout = $c->send('POST', "{$prefix}user/logout.json", $csrf, new stdClass());
    expect('logout', $logout->status === 200, $logout);
    $after = $c->send('POST', "{$prefix}system/connect.json", [], new stdClass());
    expect('logout', (string) $after->json()['user']['uid'] === '0', $after);
}

function django($c, string $user): void {
    $page = $c->send('GET', '/auth/login/');
    expect('token', $page->status === 200 && $c->cookie('csrftoken') !== null, $page);
    $csrf = fn () => ['X-CSRFToken' => $c->cookie('csrftoken')];
    $registered = $c->send('POST', '/dj-rest-auth/registration/', $csrf(), [
        'username' => $user, 'email' => "$user@example.com", 'password1' => PASSWORD, 'password2' => PASSWORD,
    ]);
    expect('register', $registered->status === 204, $registered);
    // Registration logs in; log out to log in for real.
    $out = $c->send('POST', '/dj-rest-auth/logout/', $csrf());
    expect('register', $out->status === 200, $out);
    $login = $c->send('POST', '/dj-rest-auth/login/', $csrf(), ['username' => $user, 'password' => PASSWORD]);
    expect('login', $login->status === 204 && $c->cookie('sessionid') !== null, $login);
    $me = $c->send('GET', '/dj-rest-auth/user/');
    expect('status', $me->status === 200 && $me->json()['username'] === $user, $me);
    $changed = $c->send('POST', '/dj-rest-auth/password/change/', $csrf(), [
        'old_password' => PASSWORD, 'new_password1' => PASSWORD . '!', 'new_password2' => PASSWORD . '!',
    ]);
    expect('authenticated call', $changed->status === 200, $changed);
    $logout = $c->send('POST', '/dj-rest-auth/logout/', $csrf());
    expect('logout', $logout->status === 200, $logout);
    $after = $c->send('GET', '/dj-rest-auth/user/');
    expect('logout', in_array($after->status, [401, 403], true), $after);
}

function platformos($c, string $user): void {
    $accept = ['Accept' => 'application/json'];
    $anonymous = $c->send('GET', '/api/sessions', $accept);
    expect('token', $anonymous->status === 401, $anonymous);
    $mail = "$user@example.com";
    $registered = $c->send('POST', '/api/users', $accept, [
        'form_name' => 'reference_rest_api_create_users',
        'form' => ['email' => $mail, 'password' => PASSWORD, 'name' => $user],
    ]);
    expect('register', $registered->status === 201, $registered);
    $uid = $registered->json()['id'];
    $login = $c->send('POST', '/api/sessions', $accept, [
        'form_name' => 'reference_rest_api_create_sessions',
        'form' => ['email' => $mail, 'password' => PASSWORD],
    ]);
    expect('login', $login->status === 201, $login);
    $csrf = $accept + ['X-CSRF-Token' => $login->header('x-csrf-token')];
    $status = $c->send('GET', '/api/sessions', $accept);
    expect('status', $status->status === 200 && $status->json()['user']['email'] === $mail, $status);
    $updated = $c->send('PUT', "/api/users/$uid", $csrf, [
        'form_name' => 'reference_rest_api_update_users',
        'form' => ['email' => "$user@example.org", 'current_password' => PASSWORD],
    ]);
    expect('authenticated call', $updated->status === 204, $updated);
    $out = $c->send('DELETE', '/api/sessions', $csrf, ['form_name' => 'reference_rest_api_delete_sessions']);
    expect('logout', $out->status === 204, $out);
    $after = $c->send('GET', '/api/sessions', $accept);
    expect('logout', $after->status === 401, $after);
}

$base = rtrim($argv[1], '/');
$clients = ['CurlClient'];
if (in_array('--guzzle', $argv, true)) { $clients[] = 'GuzzleClient'; }
$dialects = [
    'drupal' => 'drupal',
    'services' => 'services',
    'services-q' => fn ($c, $user) => services($c, $user, '/?q=rest/'),
    'django' => 'django',
    'platformos' => 'platformos',
];
$failed = false;
foreach ($clients as $class) {
    foreach ($dialects as $dialect => $run) {
        $client = new $class($base);
        $user = $client->name . '_' . str_replace('-', '_', $dialect) . '_' . bin2hex(random_bytes(3));
        try {
            $run($client, $user);
            echo "PASS {$client->name} $dialect\n";
        } catch (Throwable $e) {
            $failed = true;
            echo "FAIL {$client->name} $dialect: {$e->getMessage()}\n";
        }
    }
}
exit($failed ? 1 : 0);
