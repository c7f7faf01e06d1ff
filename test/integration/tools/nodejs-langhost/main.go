// Minimal Pulumi Node.js language host ("pulumi-language-nodejs") for the integration-test toolchain.
//
// Why this exists: the upstream language host is its own Go module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) that is never tagged and is not
// served by the Go module proxy this project can reach, so it cannot be built from modules. This host
// is built against the published github.com/pulumi/pulumi/sdk/v3 module and implements the subset of
// the LanguageRuntime gRPC service that `pulumi preview/up/destroy` (and `--policy-pack`) use:
//
//   - Run:       spawns `node <@pulumi/pulumi/cmd/run> --monitor ... <entrypoint>` in the program dir,
//                with PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS and the TypeScript options.
//   - RunPlugin: runs policy packs (kind=analyzer) via @pulumi/pulumi/cmd/run-policy-pack behind the
//                SDK's PolicyProxy, and other node plugins via @pulumi/pulumi/cmd/run-plugin.
//   - GetRequiredPlugins/Packages: report nothing; providers are preinstalled (see build-tools.sh),
//                so the engine never tries to download plugins.
//   - InstallDependencies: no-op (the test harness runs `npm ci` itself).
//
// Not implemented (Unimplemented errors): codegen (GenerateProject/Program/Package), Pack, Link,
// Template, debugger attach, the bun runtime, synchronous invokes (--sync pipes).
//
// Build: see build-tools.sh (group "pulumi"); never vendored or committed as a binary.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Version is set with -ldflags "-X main.Version=...".
var Version = "0.0.0-dev"

// exit code @pulumi/pulumi uses when it already printed an actionable error
const bailExitCode = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	mu            sync.Mutex
	engineAddress string
	tracing       string
}

func (h *host) engine() string { h.mu.Lock(); defer h.mu.Unlock(); return h.engineAddress }

func (h *host) Handshake(ctx context.Context,
	req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	h.engineAddress = req.GetEngineAddress()
	h.mu.Unlock()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

func (h *host) GetRequiredPlugins(context.Context,
	*pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context,
	*pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) GetProgramDependencies(context.Context,
	*pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *host) RuntimeOptionsPrompts(context.Context,
	*pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	return server.Send(&pulumirpc.InstallDependenciesResponse{
		Stdout: []byte("pulumi-language-nodejs (test toolchain): dependency installation is left to npm\n"),
	})
}

func (h *host) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on $PATH: %w", err)
	}
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimPrefix(strings.TrimSpace(string(out)), "v")}, nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

type nodeOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   []string
}

func parseOptions(m map[string]any) (nodeOptions, error) {
	o := nodeOptions{typescript: true}
	if v, ok := m["typescript"]; ok {
		b, ok := v.(bool)
		if !ok {
			return o, errors.New("typescript option must be a boolean")
		}
		o.typescript = b
	}
	if v, ok := m["tsconfig"]; ok {
		s, ok := v.(string)
		if !ok {
			return o, errors.New("tsconfig option must be a string")
		}
		o.tsconfig = s
	}
	if v, ok := m["nodeargs"]; ok {
		s, ok := v.(string)
		if !ok {
			return o, errors.New("nodeargs option must be a string")
		}
		o.nodeargs = strings.Fields(s)
	}
	return o, nil
}

func (o nodeOptions) env() []string {
	var env []string
	if o.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if o.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+o.tsconfig)
	}
	return env
}

// resolveModule finds a module file (e.g. "@pulumi/pulumi/cmd/run") as node would from dir.
func resolveModule(ctx context.Context, node, dir, mod string) (string, error) {
	cmd := exec.CommandContext(ctx, node, "-e", "process.stdout.write(require.resolve(process.argv[1]))", mod)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("could not resolve %q from %q (is @pulumi/pulumi installed? run npm install): %w",
			mod, dir, err)
	}
	return string(out), nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on $PATH: " + err.Error()}, nil
	}
	info := req.GetInfo()
	progDir := info.GetProgramDirectory()
	if progDir == "" {
		progDir = req.GetPwd()
	}
	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runPath == "" {
		runPath = "@pulumi/pulumi/cmd/run"
	}
	if !filepath.IsAbs(runPath) {
		if runPath, err = resolveModule(ctx, node, progDir, runPath); err != nil {
			return &pulumirpc.RunResponse{Error: err.Error()}, nil
		}
	}
	opts, err := parseOptions(info.GetOptions().AsMap())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	// PULUMI_CONFIG uses the legacy "<namespace>:config:<name>" key form, which every SDK understands.
	cfg := map[string]string{}
	for k, v := range req.GetConfig() {
		key, err := config.ParseKey(k)
		if err != nil {
			return &pulumirpc.RunResponse{Error: err.Error()}, nil
		}
		cfg[key.Namespace()+":config:"+key.Name()] = v
	}
	cfgJSON, _ := json.Marshal(cfg)
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, _ := json.Marshal(secretKeys)

	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engine())
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", info.GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", progDir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", h.tracing)
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	env := append(os.Environ(), "PULUMI_CONFIG="+string(cfgJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	env = append(env, opts.env()...)

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = env
	// node may flip its stdio to non-blocking; wrap so os.Stdout/os.Stderr are copied, not shared.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == bailExitCode {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{
			Error: "Problem executing program (could not run language executor): " + err.Error(),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx := server.Context()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("could not find node on $PATH: %w", err)
	}
	info := req.GetInfo()
	progDir := info.GetProgramDirectory()
	opts, err := parseOptions(info.GetOptions().AsMap())
	if err != nil {
		return err
	}
	analyzer := req.GetKind() == "analyzer"
	mod := "@pulumi/pulumi/cmd/run-plugin"
	if analyzer {
		mod = "@pulumi/pulumi/cmd/run-policy-pack"
	}
	runPath, err := resolveModule(ctx, node, progDir, mod)
	if err != nil {
		return err
	}
	args := append([]string{runPath}, opts.nodeargs...)
	if analyzer {
		// policy packs take the pack directory last
		args = append(append(args, req.GetArgs()...), progDir)
	} else {
		args = append(append(args, progDir), req.GetArgs()...)
	}
	env := append(append([]string{}, req.GetEnv()...), opts.env()...)

	var proxy *sdk.PolicyProxy
	if analyzer {
		// The engine talks to the analyzer through this proxy, which first hands us the stack configuration.
		if proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout); err != nil {
			return fmt.Errorf("could not start policy pack proxy: %w", err)
		}
		cfg, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("could not get stack configuration: %w", err)
		}
		if cfg != nil {
			put := func(k, v string) {
				if v != "" {
					env = append(env, k+"="+v)
				}
			}
			put("PULUMI_NODEJS_ORGANIZATION", cfg.GetOrganization())
			put("PULUMI_NODEJS_PROJECT", cfg.GetProject())
			put("PULUMI_NODEJS_STACK", cfg.GetStack())
			put("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(cfg.GetDryRun()))
			if cfg.GetConfig() != nil {
				b, err := json.Marshal(cfg.GetConfig())
				if err != nil {
					return err
				}
				put("PULUMI_CONFIG", string(b))
			}
		}
	}

	cmd := exec.CommandContext(ctx, node, args...)
	if analyzer {
		cmd.Dir = progDir
	} else {
		cmd.Dir = req.GetPwd()
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not start node: %w", err)
	}
	if proxy != nil {
		err = proxy.Attach(ctx, cmd)
	} else {
		err = cmd.Wait()
	}
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return fmt.Errorf("Program exited with non-zero exit code: %d", exitErr.ExitCode())
		}
		return err
	}
	return closer.Close()
}

func main() {
	tracing := flag.String("tracing", "", "tracing endpoint (passed to the node program)")
	runtimeName := flag.String("runtime", "nodejs", "only 'nodejs' is supported")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(Version)
		return
	}
	if *runtimeName != "nodejs" {
		fmt.Fprintf(os.Stderr, "unsupported runtime: %s\n", *runtimeName)
		os.Exit(1)
	}
	h := &host{tracing: *tracing}
	if args := flag.Args(); len(args) > 0 {
		h.engineAddress = args[0]
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cancel := make(chan bool)
	go func() { <-ctx.Done(); close(cancel) }()
	if h.engineAddress != "" {
		// exit when the engine goes away
		if err := rpcutil.Healthcheck(ctx, h.engineAddress, 5*time.Minute, stop); err != nil {
			fmt.Fprintf(os.Stderr, "could not start health check: %v\n", err)
			os.Exit(1)
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "could not start language host RPC server: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "language host RPC stopped serving: %v\n", err)
		os.Exit(1)
	}
}
