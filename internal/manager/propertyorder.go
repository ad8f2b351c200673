package manager

import (
	"slices"
	"sync"
)

// The names (not the values) below are those `systemctl show --all` printed
// with systemd 257 for a service, a socket, a target, a slice and a user
// manager, in its order.

// propertyOrder lists, per unit type ("" for the manager), the properties
// systemd 257 shows, in its order: the type's own interface first, then the
// Unit interface. It is built on first use: only show needs it.
var propertyOrder = sync.OnceValue(func() map[string][]string {
	o := map[string][]string{
		"service": slices.Concat(serviceOwnProperties, cgroupProperties, execProperties, unitProperties),
		"socket":  slices.Concat(socketOwnProperties, cgroupProperties, execProperties, unitProperties),
		"target":  unitProperties,
		"slice":   slices.Concat(cgroupProperties, unitProperties),
		"": {
			"Version", "Features", "Virtualization", "ConfidentialVirtualization", "Architecture",
			"Tainted", "FirmwareTimestamp", "FirmwareTimestampMonotonic", "LoaderTimestamp",
			"LoaderTimestampMonotonic", "KernelTimestamp", "KernelTimestampMonotonic", "InitRDTimestamp",
			"InitRDTimestampMonotonic", "UserspaceTimestamp", "UserspaceTimestampMonotonic",
			"FinishTimestamp", "FinishTimestampMonotonic", "ShutdownStartTimestamp",
			"ShutdownStartTimestampMonotonic", "SecurityStartTimestamp", "SecurityStartTimestampMonotonic",
			"SecurityFinishTimestamp", "SecurityFinishTimestampMonotonic", "GeneratorsStartTimestamp",
			"GeneratorsStartTimestampMonotonic", "GeneratorsFinishTimestamp",
			"GeneratorsFinishTimestampMonotonic", "UnitsLoadStartTimestamp",
			"UnitsLoadStartTimestampMonotonic", "UnitsLoadFinishTimestamp",
			"UnitsLoadFinishTimestampMonotonic", "UnitsLoadTimestamp", "UnitsLoadTimestampMonotonic",
			"InitRDSecurityStartTimestamp", "InitRDSecurityStartTimestampMonotonic",
			"InitRDSecurityFinishTimestamp", "InitRDSecurityFinishTimestampMonotonic",
			"InitRDGeneratorsStartTimestamp", "InitRDGeneratorsStartTimestampMonotonic",
			"InitRDGeneratorsFinishTimestamp", "InitRDGeneratorsFinishTimestampMonotonic",
			"InitRDUnitsLoadStartTimestamp", "InitRDUnitsLoadStartTimestampMonotonic",
			"InitRDUnitsLoadFinishTimestamp", "InitRDUnitsLoadFinishTimestampMonotonic", "LogLevel",
			"LogTarget", "NNames", "NFailedUnits", "NJobs", "NInstalledJobs", "NFailedJobs", "Progress",
			"Environment", "ConfirmSpawn", "ShowStatus", "UnitPath", "DefaultStandardOutput",
			"DefaultStandardError", "WatchdogDevice", "WatchdogLastPingTimestamp",
			"WatchdogLastPingTimestampMonotonic", "RuntimeWatchdogUSec", "RuntimeWatchdogPreUSec",
			"RuntimeWatchdogPreGovernor", "RebootWatchdogUSec", "KExecWatchdogUSec", "ServiceWatchdogs",
			"ControlGroup", "SystemState", "ExitCode", "DefaultTimerAccuracyUSec",
			"DefaultTimeoutStartUSec", "DefaultTimeoutStopUSec", "DefaultTimeoutAbortUSec",
			"DefaultDeviceTimeoutUSec", "DefaultRestartUSec", "DefaultStartLimitIntervalUSec",
			"DefaultStartLimitBurst", "DefaultCPUAccounting", "DefaultBlockIOAccounting",
			"DefaultIOAccounting", "DefaultIPAccounting", "DefaultMemoryAccounting",
			"DefaultTasksAccounting", "DefaultLimitCPU", "DefaultLimitCPUSoft", "DefaultLimitFSIZE",
			"DefaultLimitFSIZESoft", "DefaultLimitDATA", "DefaultLimitDATASoft", "DefaultLimitSTACK",
			"DefaultLimitSTACKSoft", "DefaultLimitCORE", "DefaultLimitCORESoft", "DefaultLimitRSS",
			"DefaultLimitRSSSoft", "DefaultLimitNOFILE", "DefaultLimitNOFILESoft", "DefaultLimitAS",
			"DefaultLimitASSoft", "DefaultLimitNPROC", "DefaultLimitNPROCSoft", "DefaultLimitMEMLOCK",
			"DefaultLimitMEMLOCKSoft", "DefaultLimitLOCKS", "DefaultLimitLOCKSSoft",
			"DefaultLimitSIGPENDING", "DefaultLimitSIGPENDINGSoft", "DefaultLimitMSGQUEUE",
			"DefaultLimitMSGQUEUESoft", "DefaultLimitNICE", "DefaultLimitNICESoft", "DefaultLimitRTPRIO",
			"DefaultLimitRTPRIOSoft", "DefaultLimitRTTIME", "DefaultLimitRTTIMESoft", "DefaultTasksMax",
			"DefaultMemoryPressureThresholdUSec", "DefaultMemoryPressureWatch", "TimerSlackNSec",
			"DefaultOOMPolicy", "DefaultOOMScoreAdjust", "CtrlAltDelBurstAction", "SoftRebootsCount",
		},
	}
	o["path"] = slices.Concat(pathOwnProperties, o["target"])
	return o
})

// serviceOwnProperties are the properties of systemd's Service interface
// that come before the execution, kill and cgroup settings.
var serviceOwnProperties = []string{
	"Type", "ExitType", "Restart", "RestartMode", "PIDFile", "NotifyAccess", "RestartUSec",
	"RestartSteps", "RestartMaxDelayUSec", "RestartUSecNext", "TimeoutStartUSec", "TimeoutStopUSec",
	"TimeoutAbortUSec", "TimeoutStartFailureMode", "TimeoutStopFailureMode", "RuntimeMaxUSec",
	"RuntimeRandomizedExtraUSec", "WatchdogUSec", "WatchdogTimestamp", "WatchdogTimestampMonotonic",
	"RootDirectoryStartOnly", "RemainAfterExit", "GuessMainPID", "RestartPreventExitStatus",
	"RestartForceExitStatus", "SuccessExitStatus", "MainPID", "ControlPID", "BusName",
	"FileDescriptorStoreMax", "NFileDescriptorStore", "FileDescriptorStorePreserve", "StatusText",
	"StatusErrno", "StatusBusError", "StatusVarlinkError", "Result", "ReloadResult", "CleanResult",
	"LiveMountResult", "USBFunctionDescriptors", "USBFunctionStrings", "UID", "GID", "NRestarts",
	"OOMPolicy", "ExtraFileDescriptorNames", "ReloadSignal", "ExecMainStartTimestamp",
	"ExecMainStartTimestampMonotonic", "ExecMainExitTimestamp", "ExecMainExitTimestampMonotonic",
	"ExecMainHandoffTimestamp", "ExecMainHandoffTimestampMonotonic", "ExecMainPID", "ExecMainCode",
	"ExecMainStatus", "ExecCondition", "ExecConditionEx", "ExecStartPre", "ExecStartPreEx", "ExecStart",
	"ExecStartEx", "ExecStartPost", "ExecStartPostEx", "ExecReload", "ExecReloadEx", "ExecStop", "ExecStopEx",
	"ExecStopPost", "ExecStopPostEx",
}

// socketOwnProperties are the Socket interface's, likewise.
var socketOwnProperties = []string{
	"BindIPv6Only", "Backlog", "TimeoutUSec", "BindToDevice", "SocketUser", "SocketGroup",
	"SocketMode", "DirectoryMode", "Accept", "FlushPending", "Writable", "KeepAlive",
	"KeepAliveTimeUSec", "KeepAliveIntervalUSec", "KeepAliveProbes", "DeferAcceptUSec", "NoDelay",
	"Priority", "ReceiveBuffer", "SendBuffer", "IPTOS", "IPTTL", "PipeSize", "FreeBind",
	"Transparent", "Broadcast", "PassCredentials", "PassFileDescriptorsToExec", "PassSecurity",
	"PassPacketInfo", "Timestamping", "RemoveOnStop", "Listen", "Symlinks", "Mark", "MaxConnections",
	"MaxConnectionsPerSource", "MessageQueueMaxMessages", "MessageQueueMessageSize", "TCPCongestion",
	"ReusePort", "SmackLabel", "SmackLabelIPIn", "SmackLabelIPOut", "ControlPID", "Result",
	"NConnections", "NAccepted", "NRefused", "FileDescriptorName", "SocketProtocol",
	"TriggerLimitIntervalUSec", "TriggerLimitBurst", "PollLimitIntervalUSec", "PollLimitBurst", "UID",
	"GID", "ExecStartPre", "ExecStartPost", "ExecStopPre", "ExecStopPost",
}

// cgroupProperties are systemd's cgroup settings and counters, which
// slices, services and sockets carry alike.
var cgroupProperties = []string{
	"Slice", "ControlGroup", "ControlGroupId", "MemoryCurrent", "MemoryPeak", "MemorySwapCurrent",
	"MemorySwapPeak", "MemoryZSwapCurrent", "MemoryAvailable", "EffectiveMemoryMax",
	"EffectiveMemoryHigh", "CPUUsageNSec", "EffectiveCPUs", "EffectiveMemoryNodes", "TasksCurrent",
	"EffectiveTasksMax", "IPIngressBytes", "IPIngressPackets", "IPEgressBytes", "IPEgressPackets",
	"IOReadBytes", "IOReadOperations", "IOWriteBytes", "IOWriteOperations", "Delegate",
	"DelegateControllers", "DelegateSubgroup", "CPUAccounting", "CPUWeight", "StartupCPUWeight",
	"CPUShares", "StartupCPUShares", "CPUQuotaPerSecUSec", "CPUQuotaPeriodUSec", "AllowedCPUs",
	"StartupAllowedCPUs", "AllowedMemoryNodes", "StartupAllowedMemoryNodes", "IOAccounting",
	"IOWeight", "StartupIOWeight", "BlockIOAccounting", "BlockIOWeight", "StartupBlockIOWeight",
	"MemoryAccounting", "DefaultMemoryLow", "DefaultStartupMemoryLow", "DefaultMemoryMin",
	"MemoryMin", "MemoryLow", "StartupMemoryLow", "MemoryHigh", "StartupMemoryHigh", "MemoryMax",
	"StartupMemoryMax", "MemorySwapMax", "StartupMemorySwapMax", "MemoryZSwapMax",
	"StartupMemoryZSwapMax", "MemoryZSwapWriteback", "MemoryLimit", "DevicePolicy",
	"TasksAccounting", "TasksMax", "IPAccounting", "IPAddressAllow", "IPAddressDeny",
	"IPIngressFilterPath", "IPEgressFilterPath", "DisableControllers", "ManagedOOMSwap",
	"ManagedOOMMemoryPressure", "ManagedOOMMemoryPressureLimit",
	"ManagedOOMMemoryPressureDurationUSec", "ManagedOOMPreference", "RestrictNetworkInterfaces",
	"MemoryPressureWatch", "MemoryPressureThresholdUSec", "NFTSet", "CoredumpReceive",
}

// execProperties are the execution and kill settings services and sockets
// carry after the cgroup ones.
var execProperties = []string{
	"Environment", "EnvironmentFiles", "PassEnvironment", "UnsetEnvironment", "UMask", "LimitCPU", "LimitCPUSoft",
	"LimitFSIZE", "LimitFSIZESoft", "LimitDATA", "LimitDATASoft", "LimitSTACK", "LimitSTACKSoft",
	"LimitCORE", "LimitCORESoft", "LimitRSS", "LimitRSSSoft", "LimitNOFILE", "LimitNOFILESoft",
	"LimitAS", "LimitASSoft", "LimitNPROC", "LimitNPROCSoft", "LimitMEMLOCK", "LimitMEMLOCKSoft",
	"LimitLOCKS", "LimitLOCKSSoft", "LimitSIGPENDING", "LimitSIGPENDINGSoft", "LimitMSGQUEUE",
	"LimitMSGQUEUESoft", "LimitNICE", "LimitNICESoft", "LimitRTPRIO", "LimitRTPRIOSoft",
	"LimitRTTIME", "LimitRTTIMESoft", "WorkingDirectory", "RootDirectory", "RootImage", "RootHash",
	"RootHashPath", "RootHashSignature", "RootHashSignaturePath", "RootVerity", "RootEphemeral",
	"ExtensionDirectories", "ExtensionImages", "MountImages", "OOMScoreAdjust", "CoredumpFilter",
	"Nice", "IOSchedulingClass", "IOSchedulingPriority", "CPUSchedulingPolicy",
	"CPUSchedulingPriority", "CPUAffinity", "CPUAffinityFromNUMA", "NUMAPolicy", "NUMAMask",
	"TimerSlackNSec", "CPUSchedulingResetOnFork", "NonBlocking", "StandardInput",
	"StandardInputFileDescriptorName", "StandardInputData", "StandardOutput",
	"StandardOutputFileDescriptorName", "StandardError", "StandardErrorFileDescriptorName",
	"TTYPath", "TTYReset", "TTYVHangup", "TTYVTDisallocate", "TTYRows", "TTYColumns",
	"SyslogPriority", "SyslogIdentifier", "SyslogLevelPrefix", "SyslogLevel", "SyslogFacility",
	"LogLevelMax", "LogRateLimitIntervalUSec", "LogRateLimitBurst", "LogExtraFields",
	"LogNamespace", "SecureBits", "CapabilityBoundingSet", "AmbientCapabilities", "User", "Group",
	"DynamicUser", "SetLoginEnvironment", "RemoveIPC", "SetCredential", "SetCredentialEncrypted",
	"LoadCredential", "LoadCredentialEncrypted", "ImportCredential", "ImportCredentialEx",
	"SupplementaryGroups", "PAMName", "ReadWritePaths", "ReadOnlyPaths", "InaccessiblePaths",
	"ExecPaths", "NoExecPaths", "ExecSearchPath", "MountFlags", "PrivateTmp", "PrivateTmpEx",
	"PrivateDevices", "ProtectClock", "ProtectKernelTunables", "ProtectKernelModules",
	"ProtectKernelLogs", "ProtectControlGroups", "ProtectControlGroupsEx", "PrivateNetwork",
	"PrivateUsers", "PrivateUsersEx", "PrivateMounts", "PrivateIPC", "PrivatePIDs", "ProtectHome",
	"ProtectSystem", "SameProcessGroup", "UtmpIdentifier", "UtmpMode", "SELinuxContext",
	"AppArmorProfile", "SmackProcessLabel", "IgnoreSIGPIPE", "NoNewPrivileges", "SystemCallFilter",
	"SystemCallArchitectures", "SystemCallErrorNumber", "SystemCallLog", "Personality",
	"LockPersonality", "RestrictAddressFamilies", "RuntimeDirectoryPreserve",
	"RuntimeDirectoryMode", "RuntimeDirectory", "StateDirectoryMode", "StateDirectory",
	"CacheDirectoryMode", "CacheDirectory", "LogsDirectoryMode", "LogsDirectory",
	"ConfigurationDirectoryMode", "ConfigurationDirectory", "TimeoutCleanUSec",
	"MemoryDenyWriteExecute", "RestrictRealtime", "RestrictSUIDSGID", "RestrictNamespaces",
	"RestrictFileSystems", "BindPaths", "BindReadOnlyPaths", "TemporaryFileSystem", "MountAPIVFS",
	"BindLogSockets", "KeyringMode", "ProtectProc", "ProcSubset", "ProtectHostname", "MemoryKSM",
	"NetworkNamespacePath", "IPCNamespacePath", "RootImagePolicy", "MountImagePolicy",
	"ExtensionImagePolicy", "KillMode", "KillSignal", "RestartKillSignal", "FinalKillSignal",
	"SendSIGKILL", "SendSIGHUP", "WatchdogSignal",
}

// unitProperties are systemd's Unit interface, which ends every unit's list.
var unitProperties = []string{
	"Id", "Names", "Following", "Requires", "Requisite", "Wants", "BindsTo", "PartOf", "Upholds",
	"RequiredBy", "RequisiteOf", "WantedBy", "BoundBy", "UpheldBy", "ConsistsOf", "Conflicts",
	"ConflictedBy", "Before", "After", "OnSuccess", "OnSuccessOf", "OnFailure", "OnFailureOf",
	"Triggers", "TriggeredBy", "PropagatesReloadTo", "ReloadPropagatedFrom", "PropagatesStopTo",
	"StopPropagatedFrom", "JoinsNamespaceOf", "SliceOf", "RequiresMountsFor", "WantsMountsFor",
	"Documentation", "Description", "AccessSELinuxContext", "LoadState", "ActiveState",
	"FreezerState", "SubState", "FragmentPath", "SourcePath", "DropInPaths", "UnitFileState",
	"UnitFilePreset", "StateChangeTimestamp", "StateChangeTimestampMonotonic",
	"InactiveExitTimestamp", "InactiveExitTimestampMonotonic", "ActiveEnterTimestamp",
	"ActiveEnterTimestampMonotonic", "ActiveExitTimestamp", "ActiveExitTimestampMonotonic",
	"InactiveEnterTimestamp", "InactiveEnterTimestampMonotonic", "CanStart", "CanStop",
	"CanReload", "CanIsolate", "CanClean", "CanFreeze", "CanLiveMount", "Job", "StopWhenUnneeded",
	"RefuseManualStart", "RefuseManualStop", "AllowIsolate", "DefaultDependencies",
	"SurviveFinalKillSignal", "OnSuccessJobMode", "OnFailureJobMode", "IgnoreOnIsolate",
	"NeedDaemonReload", "Markers", "JobTimeoutUSec", "JobRunningTimeoutUSec", "JobTimeoutAction",
	"JobTimeoutRebootArgument", "ConditionResult", "AssertResult", "ConditionTimestamp",
	"ConditionTimestampMonotonic", "AssertTimestamp", "AssertTimestampMonotonic", "Conditions",
	"Asserts", "LoadError", "Transient", "Perpetual", "StartLimitIntervalUSec", "StartLimitBurst",
	"StartLimitAction", "FailureAction", "FailureActionExitStatus", "SuccessAction",
	"SuccessActionExitStatus", "RebootArgument", "InvocationID", "CollectMode", "Refs",
	"ActivationDetails", "DebugInvocation",
}
