// SPDX-License-Identifier: MIT
// The Windows backend's launcher: every worker is a fresh process of a worker program (or of this
// program), started with CreateProcessW. What POSIX does with descriptors and signals it does
// with handles:
//  - the channel is a loopback socket pair (win_handles.cpp). The worker gets its end (and its
//    control end) as Windows documents for sharing a socket with another process:
//    WSADuplicateSocketW's protocol info, written to a pipe that is the one handle it inherits.
//    (A socket merely inherited is a handle but no socket to wine's Winsock: WSAENOTSOCK.)
//    PROC_THREAD_ATTRIBUTE_HANDLE_LIST limits inheritance to exactly that pipe, so a worker never
//    holds another worker's channel or anything the embedder opened;
//  - the exit watch is the process handle itself (signalled once it exits);
//  - every worker joins one Job Object with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, so when this
//    process dies, however it dies, the system ends its workers;
//  - terminate and kill are TerminateProcess with an exit code per verb (win_handles.h);
//  - the soft time limit is a frame on the worker's control channel, which a thread in the
//    worker turns into the flag tasks poll (worker/worker_main.cpp).
#include "platform/win/win_launcher.h"

#include "platform/entry_flags.h"
#include "platform/socket_io.h"
#include "platform/win/win_handles.h"
#include "poolcore/signal_numbers.h"
#include "poolcore/worker_entry.h"
#include "protocol/wire_protocol.h"

#include <map>
#include <psapi.h>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace poolcore {

namespace {

struct OwnedHandle {
    HANDLE handle = nullptr;
    explicit OwnedHandle(HANDLE h = nullptr) : handle(h) {}
    OwnedHandle(OwnedHandle&& other) noexcept : handle(std::exchange(other.handle, nullptr)) {}
    OwnedHandle& operator=(OwnedHandle&& other) noexcept {
        std::swap(handle, other.handle);
        return *this;
    }
    OwnedHandle(const OwnedHandle&) = delete;
    OwnedHandle& operator=(const OwnedHandle&) = delete;
    ~OwnedHandle() {
        if (handle)
            ::CloseHandle(handle);
    }
};

// An argument as CommandLineToArgvW (and the C runtime) will split it back.
std::wstring quoted(const std::wstring& argument) {
    if (!argument.empty() && argument.find_first_of(L" \t\n\v\"") == std::wstring::npos)
        return argument;
    std::wstring out = L"\"";
    std::size_t backslashes = 0;
    for (wchar_t c : argument) {
        if (c == L'\\') {
            ++backslashes;
            continue;
        }
        if (c == L'"')
            out.append(backslashes * 2 + 1, L'\\');
        else
            out.append(backslashes, L'\\');
        backslashes = 0;
        out.push_back(c);
    }
    out.append(backslashes * 2, L'\\');
    out.push_back(L'"');
    return out;
}

std::wstring this_program_path() {
    std::wstring path(MAX_PATH, L'\0');
    for (;;) {
        const DWORD n = ::GetModuleFileNameW(nullptr, path.data(), DWORD(path.size()));
        if (n == 0)
            win::throw_last_error("GetModuleFileNameW");
        if (n < path.size()) {
            path.resize(n);
            return path;
        }
        path.resize(path.size() * 2);
    }
}

class ProcThreadAttributes {
public:
    explicit ProcThreadAttributes(std::vector<HANDLE> inherited) : handles_(std::move(inherited)) {
        SIZE_T size = 0;
        ::InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
        storage_.resize(size);
        list_ = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage_.data());
        if (!::InitializeProcThreadAttributeList(list_, 1, 0, &size))
            win::throw_last_error("InitializeProcThreadAttributeList");
        if (!::UpdateProcThreadAttribute(list_, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
                                         handles_.data(), handles_.size() * sizeof(HANDLE), nullptr,
                                         nullptr)) {
            ::DeleteProcThreadAttributeList(list_);
            win::throw_last_error("UpdateProcThreadAttribute(HANDLE_LIST)");
        }
    }
    ~ProcThreadAttributes() { ::DeleteProcThreadAttributeList(list_); }
    ProcThreadAttributes(const ProcThreadAttributes&) = delete;
    ProcThreadAttributes& operator=(const ProcThreadAttributes&) = delete;
    LPPROC_THREAD_ATTRIBUTE_LIST list() const { return list_; }

private:
    std::vector<HANDLE> handles_;
    std::vector<char> storage_;
    LPPROC_THREAD_ATTRIBUTE_LIST list_ = nullptr;
};

class WindowsLauncher final : public ProcessLauncher {
public:
    explicit WindowsLauncher(std::string program) : program_(std::move(program)) {}

    std::string_view name() const override { return "spawn"; }

    std::string refusal() const override {
        if (!program_.empty()) {
            const std::string problem = worker_program_problem(program_);
            return problem.empty() ? problem : "the worker program " + problem;
        }
        return worker_entry_installed()
                   ? std::string()
                   : "starting workers needs poolcore::run_worker_if_requested(argc, argv) at the "
                     "top of main(), or a worker program that has it";
    }

    LaunchedWorker launch(const WorkerSettings& settings) override {
        if (program_.empty() && !worker_entry_installed())
            throw std::runtime_error(refusal());
        ensure_job();
        auto [channel_parent, channel_child] = win::make_socket_pair();
        auto [control_parent, control_child] = win::make_socket_pair();
        HANDLE handover_read = nullptr, handover_write = nullptr;
        if (!::CreatePipe(&handover_read, &handover_write, nullptr, 0))
            win::throw_last_error("CreatePipe");
        OwnedHandle handover_reader(handover_read), handover_writer(handover_write);
        if (!::SetHandleInformation(handover_read, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT))
            win::throw_last_error("SetHandleInformation(inherit)");

        const std::wstring image = program_.empty() ? this_program_path() : win::widen(program_);
        std::wstring command = quoted(image);
        for (const std::string& argument :
             {std::string(entry::kWorkerFlag), std::to_string(::GetCurrentProcessId()),
              std::to_string(settings.max_frame),
              std::string(settings.measure_private_memory ? "1" : "0"),
              std::to_string(win::from_handle(handover_read))})
            command += L" " + quoted(win::widen(argument));

        ProcThreadAttributes attributes({handover_read});
        STARTUPINFOEXW startup{};
        startup.StartupInfo.cb = sizeof startup;
        startup.lpAttributeList = attributes.list();
        PROCESS_INFORMATION started{};
        // Suspended until it is in the job: a worker must not run a moment outside it.
        if (!::CreateProcessW(image.c_str(), command.data(), nullptr, nullptr, TRUE,
                              CREATE_SUSPENDED | EXTENDED_STARTUPINFO_PRESENT, nullptr, nullptr,
                              &startup.StartupInfo, &started))
            win::throw_last_error(("CreateProcessW(" + win::narrow(image) + ")").c_str());
        OwnedHandle process(started.hProcess);
        OwnedHandle thread(started.hThread);
        if (!::AssignProcessToJobObject(job_.handle, process.handle)) {
            const DWORD error = ::GetLastError();
            ::TerminateProcess(process.handle, win::exit_code_for_signal(SIGKILL));
            throw std::system_error(int(error), std::system_category(),
                                    "AssignProcessToJobObject: " + win::error_text(error));
        }
        // Its two sockets, as protocol info only it can turn into sockets; then it may run.
        WSAPROTOCOL_INFOW shared[2]{};
        for (int i = 0; i < 2; ++i) {
            const UniqueFd& end = i == 0 ? channel_child : control_child;
            if (::WSADuplicateSocketW(platform::as_socket(end.get()), started.dwProcessId,
                                      &shared[i]) != 0) {
                const int error = ::WSAGetLastError();
                ::TerminateProcess(process.handle, win::exit_code_for_signal(SIGKILL));
                throw std::system_error(error, std::system_category(),
                                        "WSADuplicateSocketW: " + win::error_text(DWORD(error)));
            }
        }
        DWORD written = 0;
        if (!::WriteFile(handover_write, shared, sizeof shared, &written, nullptr) ||
            written != sizeof shared) {
            const DWORD error = ::GetLastError();
            ::TerminateProcess(process.handle, win::exit_code_for_signal(SIGKILL));
            throw std::system_error(int(error), std::system_category(),
                                    "WriteFile(socket handover): " + win::error_text(error));
        }
        ::ResumeThread(thread.handle);

        // The pool's exit watch is a handle of its own, which it closes after reap().
        HANDLE watch = nullptr;
        if (!::DuplicateHandle(::GetCurrentProcess(), process.handle, ::GetCurrentProcess(), &watch,
                               SYNCHRONIZE, FALSE, 0)) {
            const DWORD error = ::GetLastError();
            ::TerminateProcess(process.handle, win::exit_code_for_signal(SIGKILL));
            throw std::system_error(int(error), std::system_category(),
                                    "DuplicateHandle: " + win::error_text(error));
        }
        u_long non_blocking = 1;
        ::ioctlsocket(platform::as_socket(channel_parent.get()), FIONBIO, &non_blocking);
        ::ioctlsocket(platform::as_socket(control_parent.get()), FIONBIO, &non_blocking);

        const pid_t pid = pid_t(started.dwProcessId);
        workers_[pid] = Worker{std::move(process), std::move(control_parent)};
        LaunchedWorker launched;
        launched.pid = pid;
        launched.channel = std::move(channel_parent);
        launched.exit_fd = UniqueFd(win::from_handle(watch));
        return launched;
    }

    ExitStatus reap(pid_t pid, int) override {
        auto it = workers_.find(pid);
        if (it == workers_.end())
            return ExitStatus{false, false, 0};
        const HANDLE process = it->second.process.handle;
        DWORD code = 0;
        const bool ended = ::WaitForSingleObject(process, 5000) == WAIT_OBJECT_0;
        const bool read = ended && ::GetExitCodeProcess(process, &code);
        workers_.erase(it);
        return read ? win::decode_exit_code(code) : ExitStatus{false, false, 0};
    }

    bool soft_limit(pid_t pid, std::uint32_t job_tag) override {
        Worker* w = find(pid);
        if (!w)
            return false;
        std::string frame;
        wire::append_soft_limit(frame, {job_tag});
        // Nine bytes on a channel the worker's control thread always reads: it never fills.
        return platform::send_some(w->control.get(), frame.data(), frame.size()) ==
               long(frame.size());
    }

    bool terminate(pid_t pid) override { return end(pid, SIGTERM); }
    bool kill(pid_t pid) override { return end(pid, SIGKILL); }

    bool deliver(pid_t pid, int signal) override {
        if (signal == SIGTERM || signal == SIGKILL)
            return end(pid, signal);
        return false; // no signals on Windows: only the two verbs have a meaning here
    }

    std::uint64_t resident_kib(pid_t pid) override {
        Worker* w = find(pid);
        PROCESS_MEMORY_COUNTERS counters{};
        if (!w || !::GetProcessMemoryInfo(w->process.handle, &counters, sizeof counters))
            return 0;
        return counters.WorkingSetSize / 1024;
    }

private:
    struct Worker {
        OwnedHandle process;
        UniqueFd control; // the parent's end of the control channel
    };

    Worker* find(pid_t pid) {
        auto it = workers_.find(pid);
        return it == workers_.end() ? nullptr : &it->second;
    }

    bool end(pid_t pid, int as_signal) {
        Worker* w = find(pid);
        return w && ::TerminateProcess(w->process.handle, win::exit_code_for_signal(as_signal));
    }

    // One job for every worker of this launcher; closing it (this process ending, however)
    // ends them.
    void ensure_job() {
        if (job_.handle)
            return;
        OwnedHandle job(::CreateJobObjectW(nullptr, nullptr));
        if (!job.handle)
            win::throw_last_error("CreateJobObjectW");
        JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
        limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        if (!::SetInformationJobObject(job.handle, JobObjectExtendedLimitInformation, &limits,
                                       sizeof limits))
            win::throw_last_error("SetInformationJobObject(KILL_ON_JOB_CLOSE)");
        job_ = std::move(job);
    }

    std::string program_;
    OwnedHandle job_;
    std::map<pid_t, Worker> workers_;
};

} // namespace

std::unique_ptr<ProcessLauncher> make_windows_launcher(std::string program) {
    return std::make_unique<WindowsLauncher>(std::move(program));
}

} // namespace poolcore
