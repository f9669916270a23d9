import { describeAdapterConformance } from '../conformance/adapter-suite.ts';
import { flutterwaveConformanceDriver } from './index.ts';

describeAdapterConformance(flutterwaveConformanceDriver);
